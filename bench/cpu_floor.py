"""How fast can any fp32 ModernBERT run on this CPU? Ours and transformers against the time of the work they share.

At the base shape most of a forward pass is matrix products, and on a CPU those run in MKL at close to the chip's
peak for both models. So the ratio one implementation can reach over another is bounded: transformers' time divided
by the time of the matrix products alone (a model doing the same products and nothing else), and divided by the
time of the products plus our attention kernels (a model with free elementwise work). This script measures, on the
same tokens, interleaved, median of `--reps` passes after a warm-up:

- `transformers`: transformers' ModernBertModel, sdpa, padded batch (the baseline of every CPU target);
- `ours`: our unpadded model, eager;
- `ours, fused elementwise`: the same weights with RoPE, GeGLU and residual + LayerNorm each compiled by
  `torch.compile` into one kernel (the attention stays eager): what fusing the elementwise work buys here;
- `matmuls`: only the 4 linear layers of each of the 22 layers on the packed tokens (fresh outputs, as in the model);
- `matmuls + attention`: those plus our attention calls (`sdpa_attention`, global per document, local in chunks),
  with the masks built once per pass as in the model.

Workloads: 8 x 512 fixed, 32 documents ~N(256, 64), one 8,192-token document (`--workloads a,b,c`). The table gives
seconds per pass, transformers / each row, and the issue's target for ours. `--results` stores it with the run's
machine, date, command and commit for the Measurements appendix.
Run: python bench/cpu_floor.py [--reps 3] [--workloads a,b,c] [--threads 2] [--results results/cpu_floor.json]
"""
import argparse, statistics, time, types
import torch, torch.nn.functional as F
from modernbert.core import ModernBertConfig, md_table, run_info, write_json
from modernbert.rope import apply_rope
from modernbert.attention import AttnBatch, lengths_to_cu_seqlens, sdpa_attention, ATTN_BACKENDS
from modernbert.bench import build_contenders, workloads, make_batches

TARGETS = {'fixed 512': 1.3, 'variable N(256,64)': 2.0, 'fixed 8192': 2.5}   # ours over transformers, fp32

def _rope(qkv, cos, sin):                      # (N, 3, H, D) -> q, k rotated by `rope.apply_rope`, compiled together
    return apply_rope(qkv[:, 0], cos, sin), apply_rope(qkv[:, 1], cos, sin)
def _add_norm(x, h, w, eps):
    y = x + h; return y, F.layer_norm(y, (y.shape[-1],), w, None, eps)

def fused_layers(model):
    "Give each layer of `model` (ours, eval) a forward whose elementwise work runs in compiled kernels; in place."
    rope, add_norm = (torch.compile(f, dynamic=True) for f in (_rope, _add_norm))
    def attn(a, x, batch, cos, sin):
        qkv = a.Wqkv(x).view(-1, 3, a.H, a.D)
        q, k = rope(qkv, cos, sin)
        o = ATTN_BACKENDS[a.impl][0](q, k, qkv[:, 2], batch, a.window, a.D ** -0.5, 0.0)
        return a.Wo(o.reshape(-1, a.H * a.D))
    def layer(l, x, batch, cos, sin):
        x, n = add_norm(x, l.attn(l.attn_norm(x), batch, cos, sin), l.mlp_norm.weight, l.mlp_norm.eps)
        return x + l.mlp(n)
    for l in model.layers:
        l.forward, l.attn.forward = types.MethodType(layer, l), types.MethodType(attn, l.attn)
        l.mlp.compile(dynamic=True)                # GeGLU, as `bench.compile_model` compiles it
    return model

def shared_work(model, lengths, attention:bool):
    "A pass of only the matrix products of `model` (and its attention calls) on the packed tokens of `lengths`."
    cfg, N = model.config, sum(lengths)
    x, h = torch.randn(N, cfg.hidden_size), torch.randn(N, cfg.intermediate_size)
    H, D = cfg.num_attention_heads, cfg.head_dim
    q, k, v = torch.randn(3, N, H, D).unbind(0)
    def run():
        batch = AttnBatch.from_cu_seqlens(lengths_to_cu_seqlens(lengths))
        for l in model.layers:
            F.linear(x, l.attn.Wqkv.weight); F.linear(x, l.attn.Wo.weight)
            F.linear(x, l.mlp.Wi.weight); F.linear(h, l.mlp.Wo.weight)
            if attention: sdpa_attention(q, k, v, batch, l.attn.window, D ** -0.5)
    return run

def measure(wl, cs, fused, reps):
    (ids, mask), = make_batches(wl.lengths, len(wl.lengths))
    ours = cs['ours'].model
    runs = {'transformers': lambda: cs['sdpa'](ids, mask), 'ours': lambda: cs['ours'](ids, mask),
            'ours, fused elementwise': lambda: fused(ids, mask),
            'matmuls': shared_work(ours, wl.lengths, False), 'matmuls + attention': shared_work(ours, wl.lengths, True)}
    times = {k: [] for k in runs}
    with torch.inference_mode():
        diff = (fused(ids, mask) - cs['ours'](ids, mask)).abs().max().item()   # compiles (warms up) the fused model
        for f in runs.values(): f()
        for _ in range(reps):
            for k, f in runs.items():
                t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med['transformers']
    return [dict(workload=wl.name, row=k, seconds=s, runs=[round(t, 4) for t in times[k]], tokens=wl.tokens,
                 transformers_over_this=base / s, target=TARGETS.get(wl.name) if k == 'ours' else None,
                 max_abs_diff=diff if k == 'ours, fused elementwise' else None) for k, s in med.items()]

def main(reps=3, which='a,b,c', threads=2, results=None):
    torch.set_num_threads(threads)
    cfg = ModernBertConfig.base()
    cs = build_contenders(['ours', 'sdpa'], cfg)
    fused_model = build_contenders(['ours'], cfg)['ours']                  # same seed: the same weights as `ours`
    fused_layers(fused_model.model)
    rows = []
    for key, wl in zip('abc', workloads('quick')):
        if key not in which.split(','): continue
        rows += measure(wl, cs, fused_model, reps)
        print(md_table([r for r in rows if r['workload'] == wl.name],
                       ['workload', 'row', 'seconds', 'transformers_over_this', 'target'],
                       {'seconds': '{:.3f}', 'transformers_over_this': '{:.2f}x', 'target': '{:.1f}x'}), flush=True)
    cmd = f'python bench/cpu_floor.py --reps {reps} --workloads {which} --threads {threads}'
    info = dict(run_info(cmd), threads=threads, reps=reps, shape='base: 22 layers, hidden 768, GeGLU 1152, 12 heads',
                dtype='float32')
    if results: print(f"wrote {write_json(results, dict(info=info, rows=rows))}")
    return info, rows

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, default=3, help='timed passes of each row, interleaved (the median counts)')
    ap.add_argument('--workloads', default='a,b,c', help='a: 8 x 512, b: 32 ~N(256,64), c: one 8,192-token document')
    ap.add_argument('--threads', type=int, default=2, help='torch threads')
    ap.add_argument('--results', default=None, help='store the rows as this json, e.g. results/cpu_floor.json')
    a = ap.parse_args()
    main(a.reps, a.workloads, a.threads, a.results)
