"""CPU inference of the exported model: ONNX Runtime on our export vs our eager (unpadded) path vs torch.compile of the
traced path vs transformers' ModernBERT (eager sdpa, and its own graph through the same ONNX exporter), same weights,
float32, fixed and variable lengths. Writes results/export_bench_cpu.json.

    OMP_NUM_THREADS=2 python bench/export_cpu.py [--shape base] [--threads 2] [--reps 3] [--compile]
"""
import argparse, statistics, tempfile, time
from pathlib import Path
import torch
from modernbert.core import ModernBertConfig, run_info, write_json
from modernbert.model import ModernBertModel
from modernbert.bench import doc_lengths, make_batches, hf_modernbert
from modernbert.export import export_onnx, onnx_session, run_onnx, max_diff

p = argparse.ArgumentParser()
p.add_argument('--shape', default='base'); p.add_argument('--threads', type=int, default=2)
p.add_argument('--reps', type=int, default=3); p.add_argument('--compile', action='store_true')
p.add_argument('--out', default='results/export_bench_cpu.json')
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
cfg = getattr(ModernBertConfig, a.shape)()
hf = hf_modernbert(cfg).eval()
with torch.no_grad():
    for q in hf.parameters(): q.add_(torch.randn_like(q) * 0.02)
ours = ModernBertModel.from_hf(hf).eval()
sets = {'fixed 512': doc_lengths(16, 512, 0, hi=512), 'variable ~N(256, 64)': doc_lengths(32, 256, 64, hi=512)}
batches = {k: make_batches(v, 8, vocab_size=cfg.vocab_size) for k, v in sets.items()}

contenders, notes = {}, {}
contenders['ours eager (unpadded)'] = lambda ids, m: ours(ids, m).last_hidden_state
contenders['transformers eager (sdpa)'] = lambda ids, m: hf(input_ids=ids, attention_mask=m).last_hidden_state
tmp = Path(tempfile.mkdtemp())
t0 = time.time(); sess = onnx_session(export_onnx(ours, tmp/'ours.onnx'), a.threads); notes['ours onnx export s'] = round(time.time() - t0, 1)
contenders['ours onnxruntime'] = lambda ids, m: torch.from_numpy(run_onnx(sess, ids, m))
try:
    class HFW(torch.nn.Module):
        def __init__(s): super().__init__(); s.m = hf
        def forward(s, input_ids, attention_mask): return s.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    d = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    ids0 = torch.randint(5, cfg.vocab_size, (2, 16))
    onx = torch.onnx.export(HFW().eval(), (ids0, torch.ones_like(ids0)), dynamo=True, dynamic_shapes={'input_ids': d, 'attention_mask': dict(d)},
                            input_names=['input_ids', 'attention_mask'], output_names=['last_hidden_state'], verbose=False)
    onx.save(str(tmp/'hf.onnx')); hsess = onnx_session(tmp/'hf.onnx', a.threads)
    contenders['transformers onnxruntime'] = lambda ids, m: torch.from_numpy(run_onnx(hsess, ids, m))
except Exception as e: notes['transformers onnx'] = f'export failed: {type(e).__name__}: {str(e)[:200]}'
if a.compile:
    t0 = time.time(); comp = torch.compile(ours, dynamic=True)
    with torch.no_grad(): comp(*batches['fixed 512'][0])
    notes['compile warm-up s'] = round(time.time() - t0, 1)
    contenders['ours torch.compile (traced path)'] = lambda ids, m: comp(ids, m).last_hidden_state

rows = []
with torch.inference_mode():
    for sname, bs in batches.items():
        ref = [ours(ids, m).last_hidden_state for ids, m in bs]
        tokens = sum(int(m.sum()) for _, m in bs)
        for name, f in contenders.items():
            diff = max(max_diff(f(ids, m), r, m) for (ids, m), r in zip(bs, ref))
            times = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                for ids, m in bs: f(ids, m)
                times.append(time.perf_counter() - t0)
            s = statistics.median(times)
            rows.append({'set': sname, 'model': name, 'seconds': round(s, 3), 'tokens_per_s': round(tokens / s),
                         'max_abs_diff_vs_ours_eager': diff})
            print(f"{sname:<22} {name:<34} {tokens / s:>9.0f} tok/s  diff {diff:.1e}", flush=True)
for r in rows:
    base = next(x for x in rows if x['set'] == r['set'] and x['model'] == 'transformers eager (sdpa)')
    r['speed_vs_transformers_eager'] = round(r['tokens_per_s'] / base['tokens_per_s'], 2)
cmd = 'python bench/export_cpu.py ' + ' '.join(f'--{k} {v}' for k, v in vars(a).items() if k != 'compile')
cmd += ' --compile' if a.compile else ''
out = {'info': run_info(cmd) | {'threads': a.threads, 'shape': a.shape, 'dtype': 'float32'}, 'notes': notes, 'rows': rows}
write_json(a.out, out)
print('->', a.out)
