"""srcad's benchmark suite (SPEC section 7): ``python -m benchmarks --help``."""
