"""Builds DJL's PyTorch JNI (libdjl_torch.so) against a CUDA libtorch that DJL ships no JNI for, such
as the torch of a Python install, and puts it beside that libtorch, where DJL looks first.

  python3 infra/gpu/build_djl_jni.py <djl checkout at v0.35.1> <torch dir> [cuda include dir]

<torch dir> is the torch package (python3 -c "import torch, os; print(os.path.dirname(torch.__file__))"),
which has include/ and lib/. Needs g++, a JDK's javac and a built Attune (infra/target/lib). A JNI
function that no longer compiles against that libtorch is dropped and named: Attune calls none of
them (the legacy profiler, say), and calling one would fail with UnsatisfiedLinkError, not silently.
How to run Attune on it: trainers/README.md, GPU."""
import concurrent.futures as cf
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
djl, torch_dir = sys.argv[1], sys.argv[2]
cuda_inc = sys.argv[3] if len(sys.argv) > 3 else "/usr/local/cuda/include"
abi = subprocess.run(["python3", "-c", "import torch; print(int(torch.compiled_with_cxx11_abi()))"],
                     capture_output=True, text=True).stdout.strip() or "1"
out = os.path.join(torch_dir, "lib", "libdjl_torch.so")
if not os.path.exists(os.path.join(torch_dir, "include/torch/torch.h")):
    sys.exit(torch_dir + " has no include/torch/torch.h: give the torch package directory, with its headers")
work = "/tmp/djl-jni"
src, objects, include = work + "/src", work + "/obj", work + "/include"
for d in (src, objects, include):
    os.makedirs(d, exist_ok=True)
native = os.path.join(djl, "engines/pytorch/pytorch-native/src/main/native")
engine = os.path.join(djl, "engines/pytorch/pytorch-engine/src/main/java")
subprocess.run(["javac", "-cp", os.path.join(root, "infra/target/lib/*"), "-sourcepath", engine, "-h", include, "-d", work + "/classes",
                os.path.join(engine, "ai/djl/pytorch/jni/PyTorchLibrary.java")], check=True)
java_home = os.path.dirname(os.path.dirname(os.path.realpath(subprocess.run(["which", "javac"], capture_output=True, text=True).stdout.strip())))
for name in os.listdir(native):
    text = open(os.path.join(native, name)).read()
    text = re.sub(r"\bc10::optional\b", "std::optional", text)
    text = re.sub(r"\b(c10|torch)::nullopt\b", "std::nullopt", text)
    text = text.replace("#include <c10/util/variant.h>",
                        "#if __has_include(<c10/util/variant.h>)\n#include <c10/util/variant.h>\n#endif")
    if name.endswith("_system.cc") and not os.path.exists(os.path.join(torch_dir, "include/torch/csrc/autograd/profiler_legacy.h")):
        a = text.index("// the code snippet is copied")
        b = text.index("JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache")
        text = text[:a] + "// legacy profiler dropped: this libtorch has no profiler_legacy.h\n" + text[b:]
        print("dropped: the legacy profiler (torchStartProfile, torchStopProfile)", flush=True)
    open(os.path.join(src, name), "w").write(text)

flags = ["g++", "-O2", "-fPIC", "-std=c++17", "-w", "-D_GLIBCXX_USE_CXX11_ABI=" + abi, "-DUSE_CUDA",
         "-I" + os.path.join(torch_dir, "include"), "-I" + os.path.join(torch_dir, "include/torch/csrc/api/include"),
         "-I" + cuda_inc, "-I" + include, "-I" + os.path.join(djl, "api/src/main/native"),
         "-I" + os.path.join(java_home, "include"), "-I" + os.path.join(java_home, "include/linux"), "-I" + src]


def top_block(lines, i):
    start = i
    while start > 0 and not (lines[start] and lines[start][0] not in " \t}#/)"):
        start -= 1
    depth, opened = 0, False
    for end in range(start, len(lines)):
        code = re.sub(r'"(\\.|[^"\\])*"', '""', lines[end].split("//")[0])
        if not opened and code.rstrip().endswith(";") and "{" not in code:
            return start, end
        depth += code.count("{") - code.count("}")
        opened = opened or "{" in code
        if opened and depth <= 0:
            return start, end
    return start, len(lines) - 1


def compile_one(cc):
    obj = os.path.join(objects, os.path.basename(cc) + ".o")
    p = subprocess.run(flags + ["-c", cc, "-o", obj], capture_output=True, text=True)
    return cc, p.returncode, p.stderr


pending = [os.path.join(src, n) for n in sorted(os.listdir(src)) if n.endswith(".cc")]
for attempt in range(8):
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        failed = [r for r in pool.map(compile_one, pending) if r[1] != 0]
    if not failed:
        break
    touched = set()
    for cc, _, err in failed:
        for m in re.finditer(r"^(" + re.escape(src) + r"/[^:]+):(\d+):\d+: (?:fatal )?error: (.*)$", err, re.M):
            path, line, msg = m.group(1), int(m.group(2)) - 1, m.group(3)
            lines = open(path).read().split("\n")
            if lines[line].lstrip().startswith("#include"):
                print("dropped include %s:%d %s (%s)" % (os.path.basename(path), line + 1, lines[line].strip(), msg), flush=True)
                lines[line] = ""
            else:
                s, e = top_block(lines, line)
                if all(not l for l in lines[s:e + 1]):
                    continue
                print("dropped %s:%d-%d %s (%s)" % (os.path.basename(path), s + 1, e + 1, lines[s][:110].strip(), msg[:160]), flush=True)
                for k in range(s, e + 1):
                    lines[k] = ""
            open(path, "w").write("\n".join(lines))
            touched.add(path)
        if not touched:
            print(err[-3000:], flush=True)
            sys.exit("cannot compile " + cc)
    header_changed = any(t.endswith(".h") for t in touched)
    pending = [os.path.join(src, n) for n in sorted(os.listdir(src)) if n.endswith(".cc")] if header_changed else [f[0] for f in failed]
else:
    sys.exit("still failing after 8 rounds")

objs = [os.path.join(objects, n) for n in sorted(os.listdir(objects))]
lib = os.path.join(torch_dir, "lib")
subprocess.run(["g++", "-shared", "-o", out] + objs + ["-L" + lib, "-ltorch", "-ltorch_cpu", "-lc10", "-ltorch_cuda", "-lc10_cuda",
               "-Wl,-rpath,$ORIGIN"], check=True)
print("built", out, os.path.getsize(out), "bytes", flush=True)
