"""Ours (unpadded) vs transformers' ModernBertModel (sdpa, padded) at the base shape, same weights, fp32, CPU.

Workloads (issue 2): (a) 8 x 512 fixed, (b) 32 documents with lengths ~N(256, 64) clipped to [32, 512],
(c) one 8192-token document. Runs are interleaved (ours, theirs, ours, ...) and the median of `--reps` timed runs
after one warm-up is reported, as real tokens per second.
Run: python bench/cpu_vs_transformers.py [--reps 3] [--workloads a,b,c] [--json out.json]
"""
import argparse, json, os, platform, statistics, time, datetime
import torch, transformers
from modernbert.core import ModernBertConfig, config_to_hf_dict
from modernbert.model import ModernBertModel

def workloads(seed=0):
    g = torch.Generator().manual_seed(seed)
    var = torch.normal(256.0, 64.0, (32,), generator=g).round().clamp(32, 512).long().tolist()
    return {'a: fixed 8x512': [512] * 8, 'b: variable 32 x N(256,64)': var, 'c: one 8192 document': [8192]}

def batch(lengths, vocab, seed=0):
    g = torch.Generator().manual_seed(seed)
    L = max(lengths)
    ids = torch.randint(5, vocab, (len(lengths), L), generator=g)
    mask = (torch.arange(L)[None] < torch.tensor(lengths)[:, None]).long()
    return ids, mask

def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def main(reps=3, which='a,b,c', out=None):
    torch.manual_seed(0)
    cfg = ModernBertConfig.base()
    hf = transformers.ModernBertModel(transformers.ModernBertConfig(**config_to_hf_dict(cfg), attn_implementation='sdpa')).eval()
    ours = ModernBertModel.from_hf(hf).eval()
    rows = []
    for name, lengths in workloads().items():
        if name[0] not in which.split(','): continue
        ids, mask = batch(lengths, cfg.vocab_size)
        real = int(mask.sum())
        with torch.inference_mode():
            diff = (ours(ids, mask).last_hidden_state - hf(input_ids=ids, attention_mask=mask).last_hidden_state)[mask.bool()].abs().max().item()
            t_ours, t_hf = [], []
            for _ in range(reps):
                t_ours.append(timed(lambda: ours(ids, mask)))
                t_hf.append(timed(lambda: hf(input_ids=ids, attention_mask=mask)))
        mo, mh = statistics.median(t_ours), statistics.median(t_hf)
        rows.append(dict(workload=name, real_tokens=real, padded_tokens=ids.numel(), ours_s=mo, hf_s=mh,
                         ours_tok_s=real / mo, hf_tok_s=real / mh, speedup=mh / mo, max_abs_diff=diff))
        print(f"{name:30s} real {real:6d}  ours {real/mo:8.0f} tok/s  transformers {real/mh:8.0f} tok/s  "
              f"ratio {mh/mo:5.2f}x  (max |dh| {diff:.1e})", flush=True)
    meta = dict(date=datetime.date.today().isoformat(), machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads(), reps=reps,
                backend=ours.attn_impl('cpu'), command='python bench/cpu_vs_transformers.py')
    if out: json.dump(dict(meta=meta, rows=rows), open(out, 'w'), indent=2)
    return meta, rows

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--workloads', default='a,b,c'); ap.add_argument('--json')
    a = ap.parse_args()
    main(a.reps, a.workloads, a.json)
