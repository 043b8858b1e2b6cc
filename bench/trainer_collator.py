"""Packing inside transformers' Trainer: tokens/s and packing efficiency of `modernbert.collator.PackedMLMCollator`
against transformers' padded `DataCollatorForLanguageModeling`, in the same `transformers.Trainer`, in one process.

Documents: the top-level functions and classes of standard-library .py files (mixed lengths, a few tokens to the
512-token cap), tokenized with [CLS]/[SEP] by a byte-level BPE of 8,192 tokens trained here on the same files.
Model: ModernBERT of hidden 256, 6 layers, 4 heads, GeGLU 384, window 128, fp32, same initial weights in every arm.
Arms (each a `transformers.Trainer`, same dataset, same `per_device_train_batch_size`, same 30% masking, AdamW):
  hf-padded      transformers' ModernBertForMaskedLM + DataCollatorForLanguageModeling (what a Trainer user runs today)
  ours-padded    our ModernBertForMaskedLM (unpads inside) + DataCollatorForLanguageModeling, default dense MLM head
  ours-padded-sp the same with config.sparse_prediction=True (decodes only masked tokens), to isolate the collator
  ours-packed    our ModernBertForMaskedLM + PackedMLMCollator (best-fit rows, unpadded, sparse prediction)
Rounds are interleaved (every arm once per round, the order rotating); each run times `--steps` optimizer steps after
one warm-up step, collation included, and counts real (non-padding) tokens. Reported: median tokens per CPU-second of
the process (one torch thread; on a 2-core machine shared with other jobs wall-clock time swung 10x between runs, CPU
time leaves out the time other jobs held the core) and per wall-clock second, the median over rounds of the paired
ratio packed / other arm (on CPU time; on wall time beside it), and
packing efficiency: real tokens / (rows x row_len) for packed batches, real tokens / (batch x padded length) for padded.
With --task classification (written to results/trainer_collator_clf.json) the same documents are classified (does the
document define a class or a function?) with a sequence-classification head, three arms:
  hf-padded      transformers' ModernBertForSequenceClassification + DataCollatorWithPadding
  ours-padded    our ModernBertForSequenceClassification (unpads inside) + DataCollatorWithPadding
  ours-packed    our ModernBertForSequenceClassification + PackedClassificationCollator (documents end to end)
Run: python bench/trainer_collator.py [--task mlm|classification] [--rounds 3] [--steps 3] [--batch 16] [--row-len 1024] [--files 400] [--threads 1] [--out results/trainer_collator.json]
"""
import argparse, json, random, re, statistics, sys, sysconfig, tempfile, time
from pathlib import Path
import torch, transformers, datasets
from transformers import Trainer, TrainingArguments, TrainerCallback, DataCollatorForLanguageModeling, DataCollatorWithPadding
from modernbert.core import ModernBertConfig, config_to_hf_dict, run_info, write_json
from modernbert.model import ModernBertForMaskedLM
from modernbert.tokenizer import train_tokenizer, config_for_tokenizer
from modernbert.collator import PackedMLMCollator, PackedClassificationCollator
from modernbert.heads import ModernBertForSequenceClassification

def stdlib_docs(n_files=400, seed=0):
    "Top-level functions and classes of standard-library .py files: documents of mixed lengths."
    root = Path(sysconfig.get_paths()['stdlib'])
    files = [p for p in sorted(root.rglob('*.py')) if 'site-packages' not in p.parts and 'test' not in p.parts and 0 < p.stat().st_size <= 60_000]
    random.Random(seed).shuffle(files)
    docs = [b for p in files[:n_files] for b in re.split(r'\n(?=def |class |async def )', p.read_text(errors='replace')) if len(b) > 40]
    random.Random(seed).shuffle(docs)
    return docs

class Timer(TrainerCallback):
    "Wall time of steps 2..n (collation of the next batch included), and real tokens counted by a forward hook."
    def __init__(self): self.t, self.cpu, self.tokens, self.counting = [], [], 0, False
    def on_step_end(self, args, state, control, **kw):
        self.t.append(time.perf_counter()); self.cpu.append(time.process_time()); self.counting = True

def count_hook(timer):
    def hook(mod, args, kwargs):
        if not timer.counting: return
        m = kwargs.get('attention_mask')
        timer.tokens += int(m.sum()) if m is not None else kwargs['input_ids'].numel()
    return hook

class PadStats:
    "DataCollatorForLanguageModeling that records (real tokens, batch x padded length) per batch."
    def __init__(self, inner): self.inner, self.stats = inner, []
    def __call__(self, feats):
        b = self.inner(feats)
        self.stats.append((int(b['attention_mask'].sum()), b['input_ids'].numel()))
        return b

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--batch', type=int, default=16); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--max-length', type=int, default=512); ap.add_argument('--files', type=int, default=400); ap.add_argument('--row-len', type=int, default=1024)
    ap.add_argument('--task', default='mlm', choices=['mlm', 'classification'])
    ap.add_argument('--out', default=None, help='default results/trainer_collator.json (mlm) or trainer_collator_clf.json')
    a = ap.parse_args()
    clf = a.task == 'classification'
    a.out = a.out or str(Path(__file__).resolve().parent.parent/'results'/f"trainer_collator{'_clf' if clf else ''}.json")
    torch.set_num_threads(a.threads); transformers.logging.set_verbosity_error(); datasets.disable_progress_bars()
    t_start = time.time()
    docs = stdlib_docs(a.files)
    tok = train_tokenizer(docs, vocab_size=8192)
    cols = {'text': docs, 'label': [int(d.lstrip().startswith('class ')) for d in docs]} if clf else {'text': docs}
    ds = datasets.Dataset.from_dict(cols).map(lambda b: tok(b['text'], truncation=True, max_length=a.max_length),
                                                          batched=True, remove_columns=['text'])
    lens = sorted(len(x) for x in ds['input_ids'])
    cfg = config_for_tokenizer(tok, ModernBertConfig(hidden_size=256, intermediate_size=384, num_hidden_layers=6, num_attention_heads=4,
                                                     max_position_embeddings=1024, local_attention=128, global_attn_every_n_layers=3))
    torch.manual_seed(0)
    hf_cls = transformers.ModernBertForSequenceClassification if clf else transformers.ModernBertForMaskedLM
    hf = hf_cls(transformers.ModernBertConfig(**config_to_hf_dict(cfg), num_labels=2)).eval()
    init = {k: v.clone() for k, v in hf.state_dict().items()}
    padded = lambda: PadStats(DataCollatorForLanguageModeling(tok, mlm_probability=0.3))
    def ours(sparse=False):
        m = ModernBertForMaskedLM.from_hf(hf)
        m.config.sparse_prediction = sparse
        return m
    arms = {'hf-padded': (lambda: hf, padded), 'ours-padded': (lambda: ours(), padded),
            'ours-padded-sp': (lambda: ours(True), padded),
            'ours-packed': (lambda: ours(), lambda: PackedMLMCollator(tok, row_len=a.row_len, seq_len=a.max_length, mask_p=0.3, seed=0))}
    if clf:
        arms = {'hf-padded': (lambda: hf, lambda: PadStats(DataCollatorWithPadding(tok))),
                'ours-padded': (lambda: ModernBertForSequenceClassification.from_hf(hf), lambda: PadStats(DataCollatorWithPadding(tok))),
                'ours-packed': (lambda: ModernBertForSequenceClassification.from_hf(hf), lambda: PackedClassificationCollator(max_length=a.max_length))}
    res = {k: {'tokens_per_s': [], 'tokens_per_cpu_s': [], 'efficiency': []} for k in arms}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            names = list(arms)[r % len(arms):] + list(arms)[:r % len(arms)]
            for name in names:
                make_model, make_coll = arms[name]
                model, coll, timer = make_model(), make_coll(), Timer()
                if name == 'hf-padded': model.load_state_dict(init)
                h = model.register_forward_pre_hook(count_hook(timer), with_kwargs=True)
                args = TrainingArguments(d, max_steps=a.steps + 1, per_device_train_batch_size=a.batch, learning_rate=1e-4,
                                         use_cpu=True, report_to=[], save_strategy='no', logging_strategy='no', disable_tqdm=True,
                                         remove_unused_columns=False, dataloader_num_workers=0, seed=r)
                Trainer(model=model, args=args, train_dataset=ds, data_collator=coll, callbacks=[timer]).train()
                h.remove()
                real, cap = map(sum, zip(*coll.stats)) if isinstance(coll, PadStats) or not clf else (sum(coll.stats),) * 2
                res[name]['tokens_per_s'].append(timer.tokens / (timer.t[-1] - timer.t[0]))
                res[name]['tokens_per_cpu_s'].append(timer.tokens / (timer.cpu[-1] - timer.cpu[0]))
                res[name]['efficiency'].append(real / cap)
                print(f"round {r+1} {name:15s} {res[name]['tokens_per_s'][-1]:8.0f} tokens/s {res[name]['tokens_per_cpu_s'][-1]:8.0f} "
                      f"tokens/CPU-s  efficiency {real / cap:.1%}", flush=True)
    med = lambda xs: statistics.median(xs)
    paired = lambda key: {f'packed / {k}': med([p / o for p, o in zip(res['ours-packed'][key], res[k][key])]) for k in arms if k != 'ours-packed'}
    ratio = paired('tokens_per_cpu_s')
    out = {'arms': {k: {'tokens_per_cpu_s_median': med(v['tokens_per_cpu_s']), 'tokens_per_s_median': med(v['tokens_per_s']),
                        'tokens_per_cpu_s': v['tokens_per_cpu_s'], 'tokens_per_s': v['tokens_per_s'],
                        'packing_efficiency': med(v['efficiency'])} for k, v in res.items()},
           'paired_ratio_median': ratio, 'paired_ratio_median_wall': paired('tokens_per_s'),
           'setup': {'documents': len(ds), 'length_min': lens[0], 'length_median': lens[len(lens) // 2], 'length_max': lens[-1],
                     'batch_documents': a.batch, 'steps_timed': a.steps, 'rounds': a.rounds, 'row_len': a.row_len,
                     'max_length': a.max_length, 'task': a.task, 'mask_p': None if clf else 0.3, 'model': {k: getattr(cfg, k) for k in
                     ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'vocab_size', 'local_attention')}},
           'info': run_info('python bench/trainer_collator.py ' + ' '.join(sys.argv[1:])),
           'seconds': round(time.time() - t_start)}
    write_json(a.out, out)
    print(json.dumps(ratio, indent=1), f"\nwrote {a.out}")

if __name__ == '__main__': main()
