"""The timing rule every peer script uses (and `reparam bench` mirrors): one warm-up call, then
the median over `repeats` of the mean seconds per call in loops of at least `minimum` seconds."""
import time


def median_seconds(fn, repeats=7, minimum=0.05):
    fn()
    samples = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= minimum:
                break
        samples.append(elapsed / calls)
    return sorted(samples)[len(samples) // 2]
