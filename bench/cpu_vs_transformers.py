"""Ours (unpadded) vs transformers' ModernBertModel (sdpa, padded) at the base shape, same weights, fp32, CPU.

Three workloads a CPU finishes in minutes: (a) 8 x 512 fixed, (b) 32 documents with lengths ~N(256, 64) clipped to
[32, 512], (c) one 8192-token document. A thin wrapper over `modernbert.bench` (the benchmark chapter), the same as
`modernbert-bench --preset quick --models ours,sdpa`: runs are interleaved and the median of `--reps` timed
passes after one warm-up counts, as real tokens per second. `--results` stores the rows with the run's machine, date,
command and commit (`core.run_info`) for the Measurements appendix.
Run: python bench/cpu_vs_transformers.py [--reps 3] [--workloads a,b,c] [--results results/cpu_vs_transformers.json]
"""
import argparse
from modernbert.core import write_json
from modernbert.bench import run_benchmark, workloads, results_table

TARGETS = {'fixed 512': 1.0, 'variable N(256,64)': 1.6, 'fixed 8192': 1.7}   # ratios this project aims for on a CPU

def main(reps=3, which='a,b,c', results=None):
    sets = [w for k, w in zip('abc', workloads('quick')) if k in which.split(',')]
    res = run_benchmark(sets, device='cpu', models=['ours', 'sdpa'], reps=reps)   # meta: core.run_info and the device
    res['meta']['command'] = f'python bench/cpu_vs_transformers.py --reps {reps} --workloads {which}'
    print('\n' + results_table(res) + '\n')
    for r in res['rows']:
        if r.get('family') == 'ours':
            t = TARGETS[r['workload']]
            print(f"{r['workload']:20s} {r['ratio']:.2f}x vs transformers sdpa "
                  f"(aim >= {t}x: {'met' if r['ratio'] >= t else 'NOT met'})")
    if results: print(f"wrote {write_json(results, dict(info=res['meta'], rows=res['rows']))}")
    return res

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, default=3, help='timed passes per model and workload (the median counts)')
    ap.add_argument('--workloads', default='a,b,c', help='which of the three workloads, comma-separated')
    ap.add_argument('--results', '--json', dest='results', default=None,
                    help='also store the run as this json, e.g. results/cpu_vs_transformers.json')
    a = ap.parse_args()
    main(a.reps, a.workloads, a.results)
