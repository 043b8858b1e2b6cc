"""Why would a pretrained encoder fine-tune worse than the same network from random initialization?

Fine-tunes a classifier on the BBC topic task from an exported model and from controls, over a learning-rate grid and
fine-tuning seeds: 'pretrained' (all weights), 'random' (same config, fresh weights), 'reinit-last' (pretrained with
its last encoder layer and the head re-initialized), each with mean or [CLS] pooling. Writes
results/finetune_diagnose.json (accuracy per run, machine, date, command, commit).
Run: python bench/finetune_diagnose.py runs/demo/hf --lrs 1e-4,3e-4,1e-3,3e-3 --seeds 0 --max-length 64
"""
import argparse, json, sys, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent

def make(folder, variant:str, n:int, names, pooling:str, seed:int):
    "A fresh classifier of the given variant (weights drawn with `seed`)."
    from modernbert.core import set_seed
    from modernbert.model import init_weights
    from modernbert.finetune import ModernBertForSequenceClassification as C
    set_seed(seed)
    m = C.from_hf(folder, num_labels=n, id2label=dict(enumerate(names)), classifier_pooling=pooling)
    if variant == 'random': m = C(m.config, n, m.id2label)
    elif variant == 'reinit-last':
        init_weights(m.model.layers[-1], m.config); init_weights(m.head, m.config)
    elif variant != 'pretrained': raise SystemExit(f"unknown variant {variant!r}")
    return m

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model'); ap.add_argument('--lrs', default='1e-4,3e-4,1e-3,3e-3'); ap.add_argument('--seeds', default='0')
    ap.add_argument('--variants', default='pretrained,random,reinit-last'); ap.add_argument('--pooling', default='mean')
    ap.add_argument('--epochs', type=int, default=2); ap.add_argument('--max-length', type=int, default=64)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=str(ROOT/'results'/'finetune_diagnose.json'))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from modernbert.finetune import FinetuneConfig, fit_classifier, evaluate_classifier
    from modernbert.evaluate import bbc_topic_task
    from modernbert.tokenizer import load_tokenizer
    from modernbert.core import run_info
    task, tok, rows, t0 = bbc_topic_task(), load_tokenizer(a.model), [], time.time()
    out = Path(a.out)
    for pooling in a.pooling.split(','):
        for variant in a.variants.split(','):
            for lr in map(float, a.lrs.split(',')):
                for seed in map(int, a.seeds.split(',')):
                    t = time.time()
                    m = make(a.model, variant, len(task.train.names), task.train.names, pooling, seed)
                    cfg = FinetuneConfig(lr=lr, epochs=a.epochs, batch_size=16, max_length=a.max_length, seed=seed, progress=False)
                    hist = fit_classifier(m, tok, task.train, cfg)
                    r = evaluate_classifier(m, tok, task.test, a.max_length)
                    rows.append({'variant': variant, 'pooling': pooling, 'lr': lr, 'seed': seed, 'accuracy': r['accuracy'],
                                 'macro_f1': r['macro_f1'], 'train_loss': hist[-1]['train_loss'], 'seconds': round(time.time() - t)})
                    print(rows[-1], flush=True)
    res = {'task': task.name, 'model': a.model, 'epochs': a.epochs, 'max_length': a.max_length, 'rows': rows,
           'info': {**run_info('python bench/finetune_diagnose.py ' + ' '.join(sys.argv[1:])), 'seconds': round(time.time() - t0)}}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
