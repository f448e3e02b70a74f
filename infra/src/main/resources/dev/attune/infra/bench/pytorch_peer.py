"""The step `attune bench-trainer` times, in Python PyTorch eager: the same BERT (post-LayerNorm,
erf-GELU, CLS or masked-mean pooling, L2 norm), listwise loss, global-norm clipping and AdamW as
Attune's trainer, from the weights and batches the bench wrote (safetensors), on the device the Java
side trained on. Prints one JSON line: per-step seconds and losses, the process's peak resident
memory and, on a GPU, the device memory in use after training (CUDA's count, as the Java side reads it)."""
import json
import math
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F


def read_safetensors(path, device):
    with open(path, "rb") as f:
        data = f.read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    base = 8 + size
    types = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=types[info["dtype"]]).reshape(info["shape"]).to(device)
    return out


def encode(w, c, ids, mask, types):
    b, length = ids.shape
    device = ids.device
    hidden, heads = c["hidden"], c["heads"]
    head_dim = hidden // heads
    eps = c["layerNormEps"]

    def norm(x, p):
        return F.layer_norm(x, (hidden,), w[p + ".weight"], w[p + ".bias"], eps)

    def dense(x, p):
        return x.matmul(w[p + ".weight"]) + w[p + ".bias"]

    def split(x):
        return x.view(b, length, heads, head_dim).transpose(1, 2)

    positions = torch.arange(length, device=device).unsqueeze(0)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types] \
        + w["embeddings.position_embeddings.weight"][positions]
    x = norm(x, "embeddings.LayerNorm")
    mask_bias = ((mask.float() - 1) * 1e9).view(b, 1, 1, length)
    scale = 1.0 / math.sqrt(head_dim)
    for layer in range(c["layers"]):
        p = "encoder.layer.%d." % layer
        q = split(dense(x, p + "attention.self.query")) * scale
        k = split(dense(x, p + "attention.self.key"))
        v = split(dense(x, p + "attention.self.value"))
        attention = torch.softmax(q.matmul(k.transpose(2, 3)) + mask_bias, -1)
        context = attention.matmul(v).transpose(1, 2).reshape(b, length, hidden)
        attended = norm(dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = F.gelu(dense(attended, p + "intermediate.dense"))
        x = norm(dense(inner, p + "output.dense") + attended, p + "output.LayerNorm")
    if c["pooling"] == "CLS":
        pooled = x[:, 0, :]
    else:
        m = mask.float().unsqueeze(2)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return pooled / pooled.pow(2).sum(1, keepdim=True).sqrt().clamp(min=1e-12)


def listwise(similarity, target, visible, weight, temperature):
    queries, keys = similarity.shape
    logits = (similarity / temperature).view(queries, 1, keys) + (visible - 1) * 1e4
    per_term = -(torch.log_softmax(logits, 2) * target).sum(2)
    per_query = (per_term * weight).sum(1)
    active = (weight.sum(1) > 0).float()
    return (per_query * active).sum() / active.sum().clamp(min=1)


def rate(c, step):
    if step <= c["warmupSteps"]:
        return c["learningRate"] * step / max(1, c["warmupSteps"])
    progress = (step - c["warmupSteps"]) / max(1, c["totalSteps"] - c["warmupSteps"])
    return c["learningRate"] * max(0.1, 1 - 0.9 * progress)


def main(directory):
    with open(directory + "/config.json") as f:
        c = json.load(f)
    torch.set_num_threads(c["threads"])
    device = torch.device(c["device"])
    gpu = device.type == "cuda"
    w = read_safetensors(directory + "/weights.safetensors", device)
    for t in w.values():
        t.requires_grad_(True)
    batches = read_safetensors(directory + "/steps.safetensors", device)
    mean = {n: torch.zeros_like(t) for n, t in w.items()}
    variance = {n: torch.zeros_like(t) for n, t in w.items()}
    applied = 0
    seconds, losses = [], []
    for s in range(c["steps"]):
        start = time.perf_counter()
        step = lambda name: batches["%d.%s" % (s, name)]
        q = encode(w, c, step("queries.ids"), step("queries.mask"), step("queries.types"))
        k = encode(w, c, step("keys.ids"), step("keys.mask"), step("keys.types"))
        similarity = q.matmul(k.t())
        loss = 0
        for t in range(c["terms"][s]):
            term = "term%d." % t
            loss = loss + listwise(similarity, step(term + "target"), step(term + "visible"), step(term + "weight"),
                                   c["temperature"]) * step(term + "scale").item()
        sync(gpu)
        forward = time.perf_counter()
        loss.backward()
        sync(gpu)
        backward = time.perf_counter()
        with torch.no_grad():
            norm = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in w.values()))
            if math.isfinite(loss.item()) and math.isfinite(norm):
                applied += 1
                clip = min(1.0, c["maxGradientNorm"] / (norm + 1e-6))
                lr = rate(c, applied)
                for n, p in w.items():
                    g = p.grad * clip if clip < 1 else p.grad
                    mean[n].mul_(0.9).add_(g * 0.1)
                    variance[n].mul_(0.999).add_(g.square() * 0.001)
                    direction = (mean[n] / (1 - 0.9 ** applied)) / ((variance[n] / (1 - 0.999 ** applied)).sqrt() + 1e-8)
                    if c["weightDecay"] > 0:
                        direction += p * c["weightDecay"]
                    p.sub_(direction * lr)
            for p in w.values():
                p.grad = None
        sync(gpu)
        seconds.append(time.perf_counter() - start)
        losses.append(loss.item())
        print("  peer step %d: loss %.3f, %.2fs (forward %.2fs, backward %.2fs, update %.2fs)" % (
            s, losses[-1], seconds[-1], forward - start, backward - forward, start + seconds[-1] - backward), file=sys.stderr, flush=True)
    device_mb = -1
    if gpu:
        free, total = torch.cuda.mem_get_info(device)
        device_mb = (total - free) >> 20
    print(json.dumps({"torch": torch.__version__, "device": str(device), "threads": torch.get_num_threads(), "seconds": seconds,
                      "losses": losses, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10, "deviceMb": device_mb}))


def sync(gpu):
    """CUDA runs asynchronously: wait for the queued kernels before reading the clock."""
    if gpu:
        torch.cuda.synchronize()


if __name__ == "__main__":
    main(sys.argv[1])
