"""Training throughput on CPU: our loop vs transformers' ModernBertForMaskedLM on padded batches (issue 4, Speed).

Ours: `modernbert.train.Trainer` (greedy best-fit packing, unpadded model, sparse prediction, StableAdamW).
Theirs: transformers' `ModernBertForMaskedLM` (sdpa) fed by `DataCollatorForLanguageModeling` (dynamic padding to the
longest sequence of each batch), `torch.optim.AdamW`; once with the default dense head, once with
`sparse_prediction=True`. Same documents (standard-library .py files, tokenized with a byte-level BPE of 8,192 tokens
trained here on the same files), sequences of at most 512 tokens in the same order, same model shape (hidden 256,
6 layers, 4 heads, GeGLU 384, window 128, a global layer every 3), same 30% masking, fp32, same weights at the start.
Both take about the same real tokens per step. Runs are interleaved (ours, theirs, theirs-sparse, ours, ...); each
run times `--steps` steps after `--warmup` steps, and the table reports the median over `--reps` runs of real
(non-padding) tokens per second.
Run: python bench/train_vs_transformers.py [--reps 3] [--steps 8] [--warmup 2] [--json out.json]
"""
import argparse, datetime, json, os, platform, random, statistics, sysconfig, tempfile, time
from pathlib import Path
import torch, transformers
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import PreTrainedTokenizerFast, DataCollatorForLanguageModeling
from modernbert.core import ModernBertConfig, config_to_hf_dict
from modernbert.packing import doc_chunks
from modernbert.train import Trainer, TrainConfig

SPECIALS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]']

def stdlib_texts(n_files=800, seed=0):
    "Up to `n_files` standard-library .py files (<= 60 kB), shuffled."
    root = Path(sysconfig.get_paths()['stdlib'])
    files = [p for p in sorted(root.rglob('*.py')) if 'site-packages' not in p.parts and 0 < p.stat().st_size <= 60_000]
    random.Random(seed).shuffle(files)
    return [p.read_text(errors='replace') for p in files[:n_files]]

def bpe(texts, vocab=8192):
    "A byte-level BPE with ModernBERT's specials (ids 0..4), wrapped for transformers."
    tok = Tokenizer(models.BPE()); tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False); tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token='[UNK]', cls_token='[CLS]', sep_token='[SEP]', pad_token='[PAD]', mask_token='[MASK]')

def model_config(tok):
    return ModernBertConfig(vocab_size=-(-len(tok) // 64) * 64, hidden_size=256, intermediate_size=384, num_hidden_layers=6,
                            num_attention_heads=4, max_position_embeddings=1024, local_attention=128, global_attn_every_n_layers=3,
                            pad_token_id=tok.pad_token_id, cls_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id,
                            mask_token_id=tok.mask_token_id)

def run_ours(cfg, seqs, rows, row_len, n_steps, warmup, out):
    "Real tokens/s of our Trainer over steps warmup+1..warmup+n_steps (packing, masking, step; no eval)."
    tc = TrainConfig(max_steps=warmup + n_steps, rows=rows, row_len=row_len, seq_len=512, lr=8e-4, precision='fp32',
                     log_every=1, progress=False, out_dir=str(out), seed=0)
    tr = Trainer(cfg, tc, [s.tolist() for s in seqs], never_mask_ids=range(5))
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()): tr.fit()
    h = tr.history
    return (h[-1]['tokens'] - h[warmup - 1]['tokens']) / (h[-1]['time'] - h[warmup - 1]['time'])

def run_hf(cfg, tok, seqs, batch, n_steps, warmup, sparse, seed=0):
    "Real tokens/s of transformers' model + DataCollatorForLanguageModeling + AdamW over the timed steps."
    torch.manual_seed(seed)
    hf = transformers.ModernBertForMaskedLM(transformers.ModernBertConfig(**config_to_hf_dict(cfg), sparse_prediction=sparse, attn_implementation='sdpa'))
    hf.train()
    opt = torch.optim.AdamW(hf.parameters(), lr=8e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=1e-5)
    coll = DataCollatorForLanguageModeling(tok, mlm=True, mlm_probability=0.3)
    real, t_total = 0, 0.0
    for step in range(warmup + n_steps):
        chunk = seqs[step * batch:(step + 1) * batch]
        t = time.perf_counter()
        b = coll([{'input_ids': [tok.cls_token_id, *s.tolist(), tok.sep_token_id]} for s in chunk])
        loss = hf(**b).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t
        if step >= warmup: real += int(b['attention_mask'].sum()); t_total += dt
    return real / t_total

def main(reps=3, steps=8, warmup=2, batch=16, out=None):
    texts = stdlib_texts()
    tok = bpe(texts[:300])
    cfg = model_config(tok)
    seqs = [c for t in texts for c in doc_chunks(tok(t, add_special_tokens=False)['input_ids'], 512)]
    random.Random(0).shuffle(seqs)
    mean_len = sum(len(s) + 2 for s in seqs) / len(seqs)
    rows, row_len = 4, max(512, round(batch * mean_len / 4))           # the same real tokens per step as `batch` sequences
    need = (warmup + steps) * batch
    assert len(seqs) >= need, (len(seqs), need)
    res = {'ours': [], 'transformers': [], 'transformers sparse': []}
    tmp = Path(tempfile.mkdtemp())
    for r in range(reps):
        res['ours'].append(run_ours(cfg, seqs, rows, row_len, steps, warmup, tmp/f'ours{r}'))
        res['transformers'].append(run_hf(cfg, tok, seqs, batch, steps, warmup, sparse=False))
        res['transformers sparse'].append(run_hf(cfg, tok, seqs, batch, steps, warmup, sparse=True))
        print(f"rep {r}: " + ', '.join(f"{k} {v[-1]:,.0f}" for k, v in res.items()), f"(load {os.getloadavg()[0]:.1f})", flush=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    rows_out = [dict(loop=k, median_tok_s=med[k], runs=[round(x) for x in v], ratio_ours_over=med['ours'] / med[k]) for k, v in res.items()]
    meta = dict(date=datetime.date.today().isoformat(), machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads(), reps=reps, steps=steps,
                warmup=warmup, hf_batch=batch, ours_rows=rows, ours_row_len=row_len, mean_seq_len=round(mean_len, 1), vocab=cfg.vocab_size,
                command=f'python bench/train_vs_transformers.py --reps {reps} --steps {steps} --warmup {warmup}')
    print(f"\n| loop | real tokens/s (median) | runs | ours / this |\n|---|---|---|---|")
    for r in rows_out: print(f"| {r['loop']} | {r['median_tok_s']:,.0f} | {', '.join(f'{x:,}' for x in r['runs'])} | {r['ratio_ours_over']:.2f}x |")
    print(json.dumps(meta))
    if out: json.dump(dict(meta=meta, rows=rows_out), open(out, 'w'), indent=2)
    return meta, rows_out

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--steps', type=int, default=8)
    ap.add_argument('--warmup', type=int, default=2); ap.add_argument('--batch', type=int, default=16); ap.add_argument('--json')
    a = ap.parse_args()
    main(a.reps, a.steps, a.warmup, a.batch, a.json)
