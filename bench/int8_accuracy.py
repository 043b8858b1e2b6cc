"""What reduced precision costs a trained model on CPU: held-out MLM loss and accuracy of float32, int8 dynamic
quantization (per tensor and per output channel) and bf16 autocast, on the same masked batches of a corpus's held-out
split, with their forward speed against float32 (interleaved passes over those batches, median of `--reps`).

bf16 runs only where the CPU has native bf16 (`bench.cpu_features`); elsewhere its row says why. `--results` stores
the table with the run's machine, date, command and commit (`core.run_info`).
Run: python bench/int8_accuracy.py runs/demo-average/hf --corpus runs/demo-average/corpus [--batches 24]
     [--threads 1] [--results results/int8_accuracy.json]
"""
import argparse, statistics, time
import torch
from modernbert.bench import cpu_features
from modernbert.core import md_table, run_info, write_json
from modernbert.data import heldout_reader
from modernbert.export import quantize_int8
from modernbert.model import ModernBertForMaskedLM
from modernbert.tokenizer import load_tokenizer, never_mask_ids
from modernbert.train import TrainConfig, eval_batches, mlm_scores

def main(model_dir, corpus, batches=24, seq_len=512, threads=1, reps=3, results=None):
    torch.set_num_threads(threads)
    model = ModernBertForMaskedLM.from_hf(model_dir).eval()
    tok = load_tokenizer(model_dir)
    tc = TrainConfig(max_tokens=1, seq_len=seq_len, rows=2, row_len=1024, eval_batches=batches, seed=0)
    held = eval_batches(list(heldout_reader(corpus)), tc, model.config, never_mask_ids(tok))[:batches]
    feats = cpu_features()
    variants = {'float32': (model, 'fp32'), 'int8 dynamic (per tensor)': (quantize_int8(model), 'fp32'),
                'int8 dynamic (per channel)': (quantize_int8(model, per_channel=True), 'fp32')}
    if feats['bf16']: variants['bf16 autocast'] = (model, 'bf16')
    rows, secs = [], {k: [] for k in variants}
    with torch.no_grad():
        for k, (m, prec) in variants.items():
            loss, correct, n = mlm_scores(m, held, torch.device('cpu'), prec).tolist()
            rows.append(dict(variant=k, heldout_loss=loss / n, heldout_accuracy=correct / n, masked_tokens=int(n)))
        for _ in range(reps):
            for k, (m, prec) in variants.items():
                t = time.perf_counter(); mlm_scores(m, held, torch.device('cpu'), prec); secs[k].append(time.perf_counter() - t)
    base = rows[0]
    for r in rows:
        r['accuracy_points_vs_float32'] = 100 * (r['heldout_accuracy'] - base['heldout_accuracy'])
        r['speed_vs_float32'] = statistics.median(secs['float32']) / statistics.median(secs[r['variant']])
    if not feats['bf16']: rows.append(dict(variant='bf16 autocast', note=f"skipped: {feats['bf16_note']}"))
    print(md_table(rows, fmt={float: '{:.4f}', 'speed_vs_float32': '{:.2f}x', 'accuracy_points_vs_float32': '{:+.2f}'}))
    cmd = (f'python bench/int8_accuracy.py {model_dir} --corpus {corpus} --batches {batches} --seq-len {seq_len} '
           f'--threads {threads} --reps {reps}')
    info = run_info(cmd) | dict(model=str(model_dir), parameters=sum(p.numel() for p in model.parameters()),
                                cpu=feats, batches=len(held))
    if results: print(f"wrote {write_json(results, dict(info=info, rows=rows))}")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model_dir', help='an exported MLM folder with its tokenizer')
    ap.add_argument('--corpus', required=True, help="the corpus folder whose held-out split is scored")
    ap.add_argument('--batches', type=int, default=24, help='held-out batches of 2 x 1,024 tokens')
    ap.add_argument('--seq-len', type=int, default=512)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--reps', type=int, default=3, help='timed passes per variant (the median counts)')
    ap.add_argument('--results', default=None, help='also store the run as this json, e.g. results/int8_accuracy.json')
    a = ap.parse_args()
    main(a.model_dir, a.corpus, a.batches, a.seq_len, a.threads, a.reps, a.results)
