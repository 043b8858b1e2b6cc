"""The CPU deployment table: every way to serve our encoder on a CPU against transformers' eager ModernBERT and
transformers' graph in ONNX Runtime, with the same weights, in one interleaved run.

Rows: ours eager (unpadded), ours torch.compile (the traced path, dynamic shapes), ours int8 dynamic quantization,
ours bf16 (only where the CPU has native bf16; else the row says why not), ours in ONNX Runtime, transformers eager
(sdpa) and transformers in ONNX Runtime (its graph through the same torch.onnx exporter). Sets: fixed 8x512 and
variable ~N(256,64) (plus one long document with --long). Every row: median seconds over the rounds, tokens/s (real
tokens), ratio to transformers eager, max |difference| of the last hidden states from our float32 eager model over
real tokens. One thread by default (torch and ONNX Runtime), so a run leaves the machine's other cores alone.

    python bench/export_cpu.py --out results/cpu_deploy.json [--layers 3] [--rounds 3] [--threads 1] [--long]
"""
import argparse, statistics, sys, tempfile, time, traceback, warnings
from pathlib import Path
import torch

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--shape', default='base', help='config preset (tiny for a smoke run)')
p.add_argument('--layers', type=int, default=3, help='encoder layers of the preset (the base shape has 22)')
p.add_argument('--threads', type=int, default=1, help='torch and ONNX Runtime intra-op threads')
p.add_argument('--rounds', type=int, default=3, help='timed rounds; every round runs every row once (interleaved)')
p.add_argument('--docs', type=int, default=16, help='documents of the variable set (the fixed set has 8)')
p.add_argument('--long', action='store_true', help='also one document of the longest length the config takes')
p.add_argument('--no-compile', action='store_true', help='skip the torch.compile row')
p.add_argument('--out', default='results/cpu_deploy.json')
a = p.parse_args()

torch.set_num_threads(a.threads)
warnings.filterwarnings('ignore')
import transformers  # noqa: E402
transformers.logging.set_verbosity_error()
from modernbert.core import ModernBertConfig, run_info, write_json  # noqa: E402
from modernbert.model import ModernBertModel  # noqa: E402
from modernbert.bench import doc_lengths, make_batches, hf_modernbert, cpu_features  # noqa: E402
from modernbert.export import export_onnx, onnx_session, run_onnx, max_diff, quantize_int8  # noqa: E402

t_start = time.time()
log = lambda s: print(f"[{time.time() - t_start:5.0f} s] {s}", flush=True)
torch.manual_seed(0)
cfg = getattr(ModernBertConfig, a.shape)(num_hidden_layers=a.layers)
hf = hf_modernbert(cfg).eval()
with torch.no_grad():  # transformers' init leaves LayerNorms at 1 and biases at 0: perturb every tensor
    for q in hf.parameters(): q.add_(torch.randn_like(q) * 0.02)
ours = ModernBertModel.from_hf(hf).eval()
L = cfg.max_position_embeddings
sets = {f'fixed 8x{min(512, L)}': (doc_lengths(8, min(512, L)), 8),
        f'variable {a.docs} ~N({min(256, L // 2)},{min(64, L // 8)})':
            (doc_lengths(a.docs, min(256, L // 2), min(64, L // 8), lo=16, hi=min(512, L)), 8)}
if a.long: sets[f'one document of {L}'] = ([L], 1)
batches = {k: make_batches(v, bs, vocab_size=cfg.vocab_size) for k, (v, bs) in sets.items()}
feat = cpu_features()

rows, notes, tmp = {}, {}, Path(tempfile.mkdtemp())
def add(name, what, precision, f=None, skipped=None):
    rows[name] = dict(what=what, precision=precision, f=f, skipped=skipped)
def attempt(name, what, precision, build):
    "Build a row's callable; a failure becomes a skipped row that says why."
    t0 = time.time()
    try: add(name, what, precision, build()); log(f"{name}: ready in {time.time() - t0:.0f} s")
    except Exception as e:
        add(name, what, precision, skipped=f"failed: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
        log(f"{name}: {rows[name]['skipped']}"); traceback.print_exc(limit=2)
    notes[f'{name}: setup s'] = round(time.time() - t0, 1)

add('ours eager', 'our model, unpadded path (padding removed, per-document attention)', 'float32',
    lambda ids, m: ours(ids, m).last_hidden_state)

def build_compiled():
    comp = torch.compile(ours, dynamic=True)   # under compile the model runs its traced path (dense masks, no syncs)
    with torch.inference_mode():           # compile on small shapes, then once on each set's first batch (its shape)
        for ids, m in [make_batches([40, 23], 2, vocab_size=cfg.vocab_size)[0]] + [bs[0] for bs in batches.values()]:
            comp(ids, m)
    notes['ours compiled: graphs after warm-up'] = graphs()
    return lambda ids, m: comp(ids, m).last_hidden_state
def graphs()->int:
    from torch._dynamo.utils import counters
    return int(counters['stats']['unique_graphs'])
if a.no_compile: add('ours compiled', 'torch.compile of the traced path', 'float32', skipped='skipped: --no-compile')
else: attempt('ours compiled', 'torch.compile(model, dynamic=True): the traced path (padded, dense masks), inductor',
              'float32', build_compiled)

def build_int8():
    q8 = quantize_int8(ours)
    return lambda ids, m: q8(ids, m).last_hidden_state
attempt('ours int8', 'int8 dynamic quantization of every nn.Linear (export.quantize_int8), unpadded path',
        'int8 dynamic', build_int8)

if feat['bf16']:
    def build_bf16():
        b16 = ModernBertModel.from_hf(hf).eval().to(torch.bfloat16)
        return lambda ids, m: b16(ids, m).last_hidden_state.float()
    attempt('ours bf16', 'bf16 weights and activations, unpadded path', 'bfloat16', build_bf16)
else: add('ours bf16', 'bf16 weights and activations, unpadded path', 'bfloat16', skipped=f"skipped: {feat['bf16_note']}")

def build_ours_ort():
    sess = onnx_session(export_onnx(ours, tmp/'ours.onnx'), a.threads)
    return lambda ids, m: torch.from_numpy(run_onnx(sess, ids, m))
attempt('ours ONNX Runtime', 'our export (export.export_onnx: the traced path, padded) in ONNX Runtime, CPU provider',
        'float32', build_ours_ort)

add('transformers eager', "transformers' ModernBertModel, sdpa attention, padded", 'float32',
    lambda ids, m: hf(input_ids=ids, attention_mask=m).last_hidden_state)

def build_hf_ort():
    class HF(torch.nn.Module):
        def __init__(s): super().__init__(); s.m = hf
        def forward(s, input_ids, attention_mask):
            return s.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    d = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    ids0 = torch.randint(5, cfg.vocab_size, (2, 16))
    onx = torch.onnx.export(HF().eval(), (ids0, torch.ones_like(ids0)), dynamo=True, verbose=False,
                            dynamic_shapes={'input_ids': d, 'attention_mask': dict(d)},
                            input_names=['input_ids', 'attention_mask'], output_names=['last_hidden_state'])
    onx.save(str(tmp/'hf.onnx'))
    sess = onnx_session(tmp/'hf.onnx', a.threads)
    return lambda ids, m: torch.from_numpy(run_onnx(sess, ids, m))
attempt('transformers ONNX Runtime', "transformers' graph through torch.onnx.export (dynamo) in ONNX Runtime, CPU",
        'float32', build_hf_ort)

live = [k for k, r in rows.items() if r['f'] is not None]
with torch.inference_mode():   # warm every row once on a small batch (allocators, ONNX Runtime's first run)
    for k in live: rows[k]['f'](*make_batches([33, 20], 2, vocab_size=cfg.vocab_size)[0])
ref = {}
with torch.inference_mode():
    for s, bs in batches.items(): ref[s] = [ours(ids, m).last_hidden_state for ids, m in bs]
def save(rounds_done:int)->list:
    "Write the json of the rounds done so far (a stopped run keeps what it measured)."
    if 'ours compiled: graphs after warm-up' in notes: notes['ours compiled: graphs after the timed rounds'] = graphs()
    out_rows = []
    for s, bs in batches.items():
        real = sum(int(m.sum()) for _, m in bs); padded = sum(m.numel() for _, m in bs)
        base = statistics.median(times[s, 'transformers eager'])
        for k, r in rows.items():
            row = {'set': s, 'row': k, 'what': r['what'], 'precision': r['precision'], 'real_tokens': real,
                   'padded_tokens': padded}
            if r['f'] is None: out_rows.append(row | {'status': r['skipped']}); continue
            med = statistics.median(times[s, k])
            out_rows.append(row | {'status': 'ok', 'seconds': round(med, 3),
                                   'seconds_rounds': [round(t, 3) for t in times[s, k]],
                                   'tokens_per_s': round(real / med, 1),
                                   'ratio_vs_transformers_eager': round(base / med, 3), 'max_abs_diff': diff[s, k]})
    with torch.inference_mode():
        h = torch.cat([x[m.bool()] for s in batches for x, (_, m) in zip(ref[s], batches[s])])
    cmd = 'python bench/export_cpu.py ' + ' '.join(sys.argv[1:])
    info = run_info(cmd.strip()) | {
        'threads': a.threads, 'onnxruntime_threads': a.threads,
        'threads_note': f'{a.threads} thread for torch (torch.set_num_threads) and ONNX Runtime (intra_op_num_threads): '
                        'the other cores were busy with another long job',
        'config': {k: getattr(cfg, k) for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads',
                                                'intermediate_size', 'local_attention', 'global_attn_every_n_layers',
                                                'max_position_embeddings', 'vocab_size')},
        'cpu': feat, 'rounds': rounds_done, 'rounds_asked': a.rounds,
        'onnxruntime': __import__('onnxruntime').__version__,
        'seconds_total': round(time.time() - t_start)}
    res = {'info': info, 'notes': notes, 'hidden_std': float(h.std()), 'rows': out_rows}
    write_json(a.out, res)
    return out_rows

times = {(s, k): [] for s in batches for k in live}
diff = {(s, k): 0.0 for s in batches for k in live}
with torch.inference_mode():
    for r in range(a.rounds):
        order = live[r % len(live):] + live[:r % len(live)]   # rotate who goes first each round
        for s, bs in batches.items():
            for k in order:
                t0 = time.perf_counter(); outs = [rows[k]['f'](ids, m) for ids, m in bs]
                times[s, k].append(time.perf_counter() - t0)
                if r == 0: diff[s, k] = max(max_diff(o, h, m) for o, h, (_, m) in zip(outs, ref[s], bs))
                log(f"round {r + 1}/{a.rounds}  {s:<28} {k:<26} {times[s, k][-1]:7.2f} s")
        save(r + 1)

out_rows = save(a.rounds) if a.rounds == 0 else save(len(times[next(iter(times))]))
for r in out_rows:
    if r['status'] != 'ok': print(f"{r['set']:<28} {r['row']:<26} {r['status'][:90]}"); continue
    print(f"{r['set']:<28} {r['row']:<26} {r['tokens_per_s']:>9.0f} tok/s {r['ratio_vs_transformers_eager']:>6.2f}x "
          f"max diff {r['max_abs_diff']:.1e}")
print('->', a.out)
