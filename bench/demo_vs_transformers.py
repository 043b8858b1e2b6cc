"""The plain transformers route at equal wall time, against `modernbert-pretrain --recipe demo`.

Same corpus (the run's training shards), same tokenizer, same model shape (the run's phase-1 architecture), but
transformers' `ModernBertForMaskedLM` (sdpa, padded), `DataCollatorForLanguageModeling` (30% masking), 128-token
chunks and AdamW. Both models are then scored on the same held-out batches (15% masking, the demo report's batches).

Two ways to give both routes the same time:
- `--side-by-side` (the fair one on a shared machine): starts the demo in a subprocess on one core and trains the
  transformers route in this process on the other core at the same time, from the moment the corpus is ready until
  the demo's last phase is done. Both routes see the same machine, whatever else it is doing.
- otherwise: reads a finished run and trains the transformers route for as many seconds as the demo's three phases
  took (a machine whose speed drifts between the two runs biases this one).
Run: python bench/demo_vs_transformers.py runs/demo-sbs --side-by-side   |   python bench/demo_vs_transformers.py runs/demo
"""
import argparse, json, time, datetime, os, platform, subprocess
from pathlib import Path
import torch, transformers
from transformers import DataCollatorForLanguageModeling
from modernbert.core import set_seed, config_to_hf_dict
from modernbert.model import ModernBertForMaskedLM
from modernbert.tokenizer import load_tokenizer, never_mask_ids
from modernbert.data import ShardReader, heldout_reader
from modernbert.train import TrainConfig, eval_batches, mlm_scores
from modernbert.phases import RECIPES, phase_configs

def chunks(corpus, tok, L=128):
    "Training documents as [CLS] + 126 tokens + [SEP] chunks, in a fixed shuffled order, forever."
    epoch = 0
    while True:
        for doc in ShardReader(corpus, seed=epoch, shuffle=True, epochs=1):
            d = list(doc)
            for i in range(0, len(d), L - 2):
                yield [tok.cls_token_id, *d[i:i + L - 2], tok.sep_token_id]
        epoch += 1

def train_hf(corpus, tok, cfg, keep_going, lr=1e-3, batch=32, seed=17, end=None):
    "Train transformers' MLM on 128-token chunks while `keep_going()` (lr decays linearly to 0 at `end`, a perf_counter time, if given); returns (model, seconds, steps, real tokens)."
    set_seed(seed)
    hf_cfg = transformers.ModernBertConfig(**config_to_hf_dict(cfg.replace(attn_out_dropout=None)))
    hf = transformers.ModernBertForMaskedLM(hf_cfg).train()
    opt = torch.optim.AdamW(hf.parameters(), lr=lr, weight_decay=1e-5, betas=(0.9, 0.98), eps=1e-6)
    coll = DataCollatorForLanguageModeling(tok, mlm=True, mlm_probability=0.3)
    it, t0, steps, real = chunks(corpus, tok), time.perf_counter(), 0, 0
    warm = 50
    while keep_going():
        feats = [{'input_ids': next(it)} for _ in range(batch)]
        b = coll(feats)
        real += int(b['attention_mask'].sum())
        decay = 1.0 if end is None else max(0.0, end - time.perf_counter()) / max(end - t0, 1e-9)
        for g in opt.param_groups: g['lr'] = lr * min(1.0, (steps + 1) / warm) * decay
        loss = hf(**b).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True); steps += 1
    return hf, time.perf_counter() - t0, steps, real

def side_by_side(run, lr=1e-3, batch=32, seed=17):
    "Run the demo (one core, subprocess) and the transformers route (one core, here) at the same time."
    run = Path(run)
    if run.exists(): raise SystemExit(f"{run} exists: --side-by-side starts a fresh demo run; choose a new folder")
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    log = open(str(run) + '.log', 'w')
    demo = subprocess.Popen(['modernbert-pretrain', '--recipe', 'demo', '--out', str(run)], env=env, stdout=log, stderr=subprocess.STDOUT)
    torch.set_num_threads(1)
    last = run/f"{len(RECIPES['demo'].phases)}-{RECIPES['demo'].phases[-1].name}"/'DONE.json'
    while not (run/'1-pretrain').exists():          # the corpus and tokenizer are built first
        if demo.poll() is not None: raise SystemExit(f"the demo run stopped early: see {run}.log")
        time.sleep(0.5)
    print(f"corpus ready; training the transformers route until {last} appears", flush=True)
    tok = load_tokenizer(run/'corpus'/'tokenizer')
    cfg, _ = phase_configs(RECIPES['demo'], RECIPES['demo'].phases[0], tok, run/'x')
    hf, elapsed, steps, real = train_hf(run/'corpus', tok, cfg, lambda: not last.exists() and demo.poll() is None, lr, batch, seed)
    if demo.wait() != 0: raise SystemExit(f"the demo run failed: see {run}.log")
    return hf, elapsed, steps, real

def main(run, seconds=None, lr=1e-3, batch=32, seed=17, sbs=False):
    if sbs: hf, elapsed, steps, real = side_by_side(run, lr, batch, seed)
    run = Path(run); summ = json.loads((run/'summary.json').read_text())
    tok = load_tokenizer(run/'hf'); corpus = run/'corpus'
    demo_seconds = sum(p['seconds'] for p in summ['phases'] if p.get('seconds'))   # the three phases' training time
    if not sbs:
        cfg = ModernBertForMaskedLM.from_hf(run/'1-pretrain'/'hf').config   # phase-1 architecture (theta 10k everywhere)
        t_end = time.perf_counter() + (seconds or demo_seconds)
        hf, elapsed, steps, real = train_hf(corpus, tok, cfg, lambda: time.perf_counter() < t_end, lr, batch, seed)
    # score both on the demo report's held-out batches
    p = RECIPES['demo'].phases[-1]
    tc = TrainConfig(max_tokens=1, seq_len=p.seq_len, rows=p.rows, row_len=p.row_len, eval_batches=RECIPES['demo'].eval_batches, seed=RECIPES['demo'].seed)
    final = ModernBertForMaskedLM.from_hf(run/'hf')
    batches = eval_batches(list(heldout_reader(corpus)), tc, final.config, never_mask_ids(tok))[:RECIPES['demo'].eval_batches]
    theirs = ModernBertForMaskedLM.from_hf(hf.eval())
    # their model trained at 128 tokens with theta 10k everywhere: score it with the same thetas as trained
    res = {}
    for name, m in (('modernbert demo (3 phases)', final), ('transformers route', theirs)):
        loss, correct, n = mlm_scores(m, batches, torch.device('cpu')).tolist()
        res[name] = dict(eval_loss=loss / n, eval_accuracy=correct / n)
    rows = [dict(route='modernbert demo (packed, sparse, StableAdamW, 3 phases)', seconds=round(demo_seconds),
                 real_tokens=sum(r.get('tokens') or 0 for r in summ['phases']), **res['modernbert demo (3 phases)']),
            dict(route='transformers (padded 128-token chunks, collator, AdamW)', seconds=round(elapsed), real_tokens=real, steps=steps,
                 **res['transformers route'])]
    meta = dict(date=datetime.date.today().isoformat(), machine=f"{platform.machine()}, {os.cpu_count()} cores", torch=torch.__version__,
                transformers=transformers.__version__, masked_eval_tokens=sum(int((b.labels != -100).sum()) for b in batches),
                command=f"python bench/demo_vs_transformers.py {run}" + (' --side-by-side' if sbs else ''),
                mode='side by side, one core each, same minutes' if sbs else 'one after the other, equal seconds', threads=1 if sbs else torch.get_num_threads())
    out = dict(meta=meta, rows=rows)
    (run/'vs_transformers.json').write_text(json.dumps(out, indent=1))
    for r in rows: print(r)
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('run'); ap.add_argument('--seconds', type=float); ap.add_argument('--lr', type=float, default=1e-3); ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--side-by-side', action='store_true')
    a = ap.parse_args(); main(a.run, a.seconds, a.lr, a.batch, sbs=a.side_by_side)
