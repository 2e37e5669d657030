"""The logistic map, a loop-carried scalar: its derivative and the generated code."""
import srcad


def logistic(l, r, n):
    for i in range(n):
        l = r * l * (1 - l)
    return l


if __name__ == "__main__":
    dl = srcad.grad(logistic)
    print("d l_n / d l_0 at l_0 = 0.3, r = 3.2, n = 100:", dl(0.3, 3.2, 100))
    print(dl.source)
