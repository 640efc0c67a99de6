"""Run every benchmark and print its figures; exit 1 when a target is missed."""

import argparse
import sys

from bench import cluster, consent, feedback, foi, foi_hostile, home, quick_exit, real_clients, search_load, uncached

BENCHMARKS = {
    "home": home.run, "consent": consent.run, "feedback": feedback.run, "foi": foi.run,
    "foi_hostile": foi_hostile.run, "search_load": search_load.run, "uncached": uncached.run,
    "quick_exit": quick_exit.run, "real_clients": real_clients.run, "cluster": cluster.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per run")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(unknown)}")
    missed = []
    for name in args.names or BENCHMARKS:
        if not BENCHMARKS[name](seconds=args.seconds):
            missed.append(name)
        print()
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
