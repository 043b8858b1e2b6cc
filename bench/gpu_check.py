"""The GPU half of chapter 15 (`nbs/15_bench.ipynb`) in one run; `bench/gpu_check.sh` calls it.

1. environment: card, driver, torch, CUDA, transformers, flash-attn, date, command
2. correctness: every attention backend of the CUDA order (flash, varlen, flex, sdpa) against eager, bf16,
   inference and gradients; the backend chosen; torch.compile of embeddings/MLPs/head, forward and backward
3. inference: the paper's protocol (fixed 512, ~N(256,64), fixed 8192, ~N(4096,1024)) at GPU scale, largest batch
   searched in a subprocess, ours vs transformers' ModernBERT (same weights) and BERT; table, json, png
4. training: base shape, context 1024, packed, sparse prediction, bf16 autocast, StableAdamW, with and without
   compile: tokens/s, model TFLOP/s, MFU against the card's dense bf16 peak
5. deployment paths (the GPU side of bench/export_cpu.py): ours eager, ours torch.compile of the traced path
   (dynamic shapes), transformers eager, and ONNX Runtime on our export when onnxruntime-gpu's CUDA provider exists;
   int8 dynamic quantization is CPU-only and is skipped on a GPU. bf16 on a GPU, max |diff| against float32 eager

Needs torch (CUDA) and transformers only; run from the repository root with it on PYTHONPATH (the .sh does that).
`--dry-run` runs every stage on CPU with tiny shapes (compile traced by dynamo only, no inductor), which is how the
script is tested without a GPU.
"""
import argparse, json, os, sys, time, traceback
from pathlib import Path
import torch

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--dry-run', action='store_true', help='CPU and tiny shapes: tests this script in about a minute')
    ap.add_argument('--out', default=os.environ.get('OUT') or 'bench_results/gpu', help='folder for the results ($OUT when set)')
    ap.add_argument('--budget-s', type=float, default=420, help='no new stage starts after this many seconds')
    ap.add_argument('--scale', type=float, default=32, help='documents per set relative to the CPU counts 8/32/1/2 (32: 256, 1024, 32, 64)')
    ap.add_argument('--reps', type=int, default=3, help='timed passes per model and set (median)')
    ap.add_argument('--train-rows', type=int, default=48, help='rows of 1024 tokens per training step (halved on out-of-memory)')
    ap.add_argument('--train-steps', type=int, default=15, help='timed training steps per variant')
    ap.add_argument('--skip', default='', help='comma list of stages to skip: checks, inference, train, deploy')
    a = ap.parse_args(argv)
    t0, skip, out = time.time(), set(filter(None, a.skip.split(','))), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from modernbert.core import ModernBertConfig
    from modernbert.bench import (device_info, best_backend, backend_ok, check_cfg, compile_model, run_benchmark, workloads, shrink,
                                  results_table, save_results, train_throughput)
    from modernbert.flops import peak_flops
    from modernbert.model import ModernBertForMaskedLM
    dry = a.dry_run
    dev = torch.device('cpu' if dry else 'cuda')
    if not dry and not torch.cuda.is_available(): sys.exit("no CUDA device: run with --dry-run to test the script on CPU")
    summary = dict(command=' '.join(['python bench/gpu_check.py'] + (argv if argv is not None else sys.argv[1:])))
    def left(): return a.budget_s - (time.time() - t0)
    def stage(title): print(f"\n== {title}  [{time.time() - t0:.0f} s]", flush=True)
    def save(): (out/'summary.json').write_text(json.dumps(summary, indent=2, default=str))

    stage('1/5 environment')
    summary['env'] = env = device_info(dev)
    for k, v in env.items(): print(f"  {k}: {v}")
    peak, source = peak_flops(dev, 'bf16')
    print(f"  peak dense bf16: {peak / 1e12:.1f} TFLOP/s ({source})" if peak else f"  peak: unknown ({source}): no MFU")
    save()

    best = 'sdpa' if dry else 'auto'
    if 'checks' not in skip:
        stage('2/5 correctness: each backend vs eager in float32, bf16 (inference hidden states, training gradients)')
        kw = dict(cfg=check_cfg(hidden_size=64, num_attention_heads=1, intermediate_size=96), lengths=(140, 20, 5)) if dry else {}
        try:
            best, report = best_backend(dev, training=True, check_all=True, **kw)
            for name, r in report.items():
                if isinstance(r, dict):
                    errs = ', '.join(f"{k} {v:.1e}" for k, v in r.items() if k != 'verdict')
                    print(f"  {name:7s} {'PASS' if backend_ok(r) else 'FAIL'}  {errs}")
                else: print(f"  {name:7s} {r}")
            print(f"  chosen: {best}  (relative errors; a backend passes within 2x eager's own bf16 error + 1e-3)")
            summary['backends'], summary['backend'] = report, best
        except Exception: traceback.print_exc(); summary['backends'] = 'error'
        try:
            m = ModernBertForMaskedLM(check_cfg(attn_implementation=best)).to(dev)
            ok = compile_model(m, backward=True, amp_dtype=torch.bfloat16, **(dict(backend='eager') if dry else {}))
            print(f"  torch.compile (embeddings, MLPs, head; forward + backward): {'works' if ok else 'FAILED, eager fallback'}")
            summary['compile_ok'] = ok
        except Exception: traceback.print_exc(); summary['compile_ok'] = 'error'
        save()

    if 'inference' not in skip and left() > 60:
        stage('3/5 inference: the paper protocol, ours vs transformers (same weights) and BERT')
        try:
            if dry:
                res = run_benchmark(shrink(workloads('paper'), 8), ModernBertConfig.tiny(max_position_embeddings=8192), dev, reps=2,
                                    models=['ours', 'ours+compile', 'sdpa', 'bert'], search=True, impl=best, compile_kw=dict(backend='eager'))
            else: res = run_benchmark('paper', ModernBertConfig.base(), dev, scale=a.scale, reps=a.reps, impl=best)
            res['meta']['command'] = summary['command']
            print('\n' + results_table(res))
            save_results(res, out)
            targets = {'fixed': 1.0, 'variable': 1.5}
            ours = [r for r in res['rows'] if r.get('family') == 'ours' and r.get('ratio')]
            summary['inference'] = {f"{r['workload']} {r['model']}": dict(tok_s=round(r['tok_s']), ratio=round(r['ratio'], 3),
                                    target=targets[r['workload'].split()[0]], met=r['ratio'] >= targets[r['workload'].split()[0]]) for r in ours}
            print("\n  targets (vs transformers' fastest backend): variable >= 1.5x, fixed >= 1.0x")
            for k, v in summary['inference'].items(): print(f"  {k:34s} {v['ratio']:.2f}x  {'met' if v['met'] else 'NOT met'}")
        except Exception: traceback.print_exc(); summary['inference'] = 'error'
        save()

    if 'train' not in skip:
        stage('4/5 training: base shape, context 1024, packed, bf16 autocast, StableAdamW, sparse prediction')
        cfg = ModernBertConfig.tiny() if dry else ModernBertConfig.base()
        kw = dict(seq_len=128, rows=2, steps=2, warmup=1) if dry else dict(seq_len=1024, rows=a.train_rows, steps=a.train_steps, warmup=3)
        summary['train'] = []
        for comp in (True, False):
            if left() < (20 if dry else 90): print(f"  skipped compile={comp}: {left():.0f} s of the budget left"); continue
            try:
                r = train_throughput(cfg, dev, compile=comp, impl=best, compile_kw=dict(backend='eager') if dry else None, **kw)
                summary['train'].append(r)
                mfu = f"MFU {100 * r['mfu']:.1f}% of {r['peak_tflops']:.0f} TFLOP/s" if r['mfu'] is not None else "MFU n/a (no peak for this device)"
                print(f"  compile={str(r['compiled']):5s} backend {r['backend']:6s} {r['rows']} x {r['seq_len']} tokens/step: "
                      f"{r['tok_s']:,.0f} tok/s, {r['model_tflops']:.1f} model TFLOP/s, {mfu}, loss {r['loss']:.2f}"
                      + (f", peak mem {r['max_mem_gib']:.1f} GiB" if r['max_mem_gib'] else ''), flush=True)
            except Exception: traceback.print_exc(); summary['train'].append(dict(compile=comp, error=traceback.format_exc(limit=2)))
        best_mfu = max((r['mfu'] for r in summary['train'] if isinstance(r, dict) and r.get('mfu')), default=None)
        if best_mfu is not None: print(f"  target MFU >= 35%: {100 * best_mfu:.1f}% {'met' if best_mfu >= 0.35 else 'NOT met'}")
        save()

    if 'deploy' not in skip and left() > (30 if dry else 60):
        stage('5/5 deployment paths: eager, torch.compile of the traced path, ONNX Runtime, transformers (same weights)')
        try: summary['deploy'] = deploy_stage(dev, dry, best, left)
        except Exception: traceback.print_exc(); summary['deploy'] = 'error'
        save()

    stage(f"done in {time.time() - t0:.0f} s; results in {out}/ (summary.json, results.md/json/png)")

def deploy_stage(dev, dry:bool, impl:str, left=lambda: float('inf'))->list:
    "Each deployment path on `dev`: tokens/s on fixed and variable sets, ratio to transformers eager, max |diff|."
    import copy, statistics, tempfile
    from modernbert.core import ModernBertConfig
    from modernbert.model import ModernBertModel
    from modernbert.bench import doc_lengths, make_batches, hf_modernbert
    from modernbert.export import export_onnx, max_diff, quantize_int8
    cfg = ModernBertConfig.tiny() if dry else ModernBertConfig.base()
    dtype = torch.float32 if dry else torch.bfloat16
    torch.manual_seed(0)
    hf = hf_modernbert(cfg)
    with torch.no_grad():
        for q in hf.parameters(): q.add_(torch.randn_like(q) * 0.02)
    cpu32 = ModernBertModel.from_hf(hf).eval()                          # float32 on the CPU: int8 and ONNX start here
    ref = copy.deepcopy(cpu32).to(dev)                                  # float32 eager: the difference reference
    ours = ModernBertModel.from_hf(hf, attn_implementation=impl).eval().to(dev, dtype)
    hf = hf.eval().to(dev, dtype)
    L, n = (64, 4) if dry else (512, 64)
    sets = {f'fixed {n}x{L}': doc_lengths(n, L), f'variable {4 * n} ~N({L // 2},{L // 8})':
            doc_lengths(4 * n, L // 2, L // 8, lo=16, hi=L)}
    batches = {k: make_batches(v, n, dev, vocab_size=cfg.vocab_size) for k, v in sets.items()}
    rows = {'ours eager': lambda i, m: ours(i, m).last_hidden_state,
            'transformers eager': lambda i, m: hf(input_ids=i, attention_mask=m).last_hidden_state}
    comp = torch.compile(ours, dynamic=True, **(dict(backend='eager') if dry else {}))
    rows['ours compiled'] = lambda i, m: comp(i, m).last_hidden_state
    notes = {}
    if dev.type == 'cpu':
        q8 = quantize_int8(cpu32)
        rows['ours int8'] = lambda i, m: q8(i, m).last_hidden_state
    else: notes['ours int8'] = 'skipped: int8 dynamic quantization runs on CPUs only'
    try:
        import onnxruntime as ort
        prov = 'CUDAExecutionProvider' if dev.type == 'cuda' else 'CPUExecutionProvider'
        if prov not in ort.get_available_providers(): raise ImportError(f'onnxruntime has no {prov} (onnxruntime-gpu)')
        if left() < 150: raise TimeoutError(f'{left():.0f} s of the budget left, an export takes minutes')
        path = export_onnx(cpu32, Path(tempfile.mkdtemp())/'ours.onnx')
        sess = ort.InferenceSession(str(path), providers=[prov])
        run = lambda i, m: torch.from_numpy(sess.run(None, {'input_ids': i.cpu().numpy(),
                                                            'attention_mask': m.cpu().numpy()})[0])
        rows['ours ONNX Runtime'] = run
    except Exception as e: notes['ours ONNX Runtime'] = f'skipped: {type(e).__name__}: {str(e).splitlines()[0][:120]}'
    for k, v in notes.items(): print(f"  {k:20s} {v}")
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    out = []
    with torch.inference_mode():
        for s, bs in batches.items():
            h = [ref(i, m).last_hidden_state for i, m in bs]
            t, d = {}, {}
            for k, f in rows.items():
                o = [f(i, m) for i, m in bs]                                # warm-up (compiles), and the difference
                d[k] = max(max_diff(x.to(dev), y, m) for x, y, (_, m) in zip(o, h, bs))
            for _ in range(2 if dry else 3):
                for k, f in rows.items():
                    sync(); t0 = time.perf_counter()
                    for i, m in bs: f(i, m)
                    sync(); t.setdefault(k, []).append(time.perf_counter() - t0)
            real, base = sum(int(m.sum()) for _, m in bs), statistics.median(t['transformers eager'])
            for k in rows:
                med = statistics.median(t[k])
                out.append(dict(set=s, row=k, tok_s=real / med, ratio=base / med, max_abs_diff=d[k]))
                print(f"  {s:24s} {k:20s} {real / med:>10,.0f} tok/s {base / med:5.2f}x  max diff {d[k]:.1e}", flush=True)
    return out + [dict(row=k, status=v) for k, v in notes.items()]


if __name__ == '__main__': main()
