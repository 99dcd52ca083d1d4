#!/usr/bin/env python3
"""The rules of the house (../shared/DESIGN.md), checked on the #include lines and names of the
source tree. Prints one line per violation and exits 1 when there is any.

  tests/check_layout.py [REPO]       check the tree at REPO (default: this file's repository)
  tests/check_layout.py --self-test  plant one violation of each rule in a scratch tree and
                                     check that each is reported (the check can fail)

1. apps/ and bench/ are the only code that includes more than one domain; data/<domain>
   includes only its own domain.
2. A domain includes only engine/, formats/ and its own files.
3. Outside engine/src/cpu nothing names oneDNN; outside engine/src/cuda nothing names CUDA,
   cuDNN, cuBLAS or NCCL.
4. tile/ sees modules only through Module: never a concrete container, layer or block.
5. A cmd_*.cpp function holds no loop over the user's data: its loops only print.
6. Library messages name settings, not command-line flags.
And the engine's layers do not form circles: tensor/ below ops/, ops/ below nn/, nn/ and rev/
below model/ (make_module and the builders), none of them including what stands above.
"""
import os
import re
import sys
import tempfile

DOMAINS = ["connectomics", "materials", "ecology", "hydrology", "video"]
ENGINE_PARTS = ["tensor", "ops", "nn", "rev", "model", "tile", "train", "dist", "io", "info.hpp"]
SOURCE = re.compile(r"\.(cpp|hpp|h|cc|cu|cuh)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*"tessera/([^"]+)"')


def sources(repo):
    """Every C++ source below the project's code folders, as paths relative to repo."""
    out = []
    for top in ["engine", "formats", "data", "apps", "bench", "tests"] + DOMAINS:
        for root, dirs, files in os.walk(os.path.join(repo, top)):
            dirs[:] = [d for d in dirs if d not in ("build", "results")]
            for f in files:
                if SOURCE.search(f):
                    out.append(os.path.relpath(os.path.join(root, f), repo))
    return sorted(out)


def data_owner(repo):
    """Generator header name -> the domain whose data/<domain> library has it ('' = domain-free)."""
    owner = {}
    data = os.path.join(repo, "data")
    for root, _, files in os.walk(data):
        if os.sep + os.path.join("include", "tessera", "data") not in root + os.sep:
            continue
        rel = os.path.relpath(root, data).split(os.sep)
        for f in files:
            owner[f] = rel[0] if rel[0] in DOMAINS else ""
    return owner


def part_of(include, owner):
    """What an include "tessera/<include>" belongs to: engine, formats, a domain,
    data:<domain>, data: (domain-free) or bench."""
    head = include.split("/")[0]
    if head in ENGINE_PARTS:
        return "engine"
    if head == "data":
        return "data:" + owner.get(include.split("/")[-1], "")
    return head


def allowed(path):
    """The parts a file may include, or None when it may include anything."""
    parts = path.split(os.sep)
    top = parts[0]
    if top in ("apps", "bench"):
        return None
    if top == "engine":
        return {"engine"}
    if top == "formats":
        return {"engine", "formats"}
    if top in DOMAINS:
        return {"engine", "formats", top}
    if top == "data":
        own = parts[1] if len(parts) > 1 and parts[1] in DOMAINS else ""
        return {"engine", "data:"} | ({"formats", own, "data:" + own} if own else set())
    if top == "tests":
        sub = parts[1] if len(parts) > 2 else ""
        if sub in DOMAINS:
            return {"engine", "formats", sub, "data:", "data:" + sub}
        if sub == "engine":
            return {"engine", "data:"}
        if sub == "formats":
            return {"engine", "formats"}
        if sub == "mpi":
            return {"engine", "data:"}
        return {"engine"}  # shared test helpers
    return None


def check_includes(repo, files, owner, report):
    for path in files:
        ok = allowed(path)
        if ok is None:
            continue
        rule = "rule 2" if path.split(os.sep)[0] in DOMAINS else "rule 1"
        for n, line in enumerate(read(repo, path), 1):
            m = INCLUDE.match(line)
            if m and part_of(m.group(1), owner) not in ok:
                report(path, n, rule, "includes tessera/" + m.group(1) + " (" +
                       part_of(m.group(1), owner) + "), outside what it may use")


ONEDNN = re.compile(r"\bdnnl(::|_[a-z]|\.hpp|\.h\b)|oneapi/dnnl")
CUDA = re.compile(r"#\s*include\s*<(cuda|cudnn|cublas|nccl|cusolver)|"
                  r"\b(cuda|cudnn|cublas|nccl|cusolver)[A-Z][A-Za-z_]*\b|"
                  r"\b(cudaStream_t|cudnnHandle_t|cublasHandle_t|ncclComm_t)\b")


def check_backends(repo, files, report):
    for path in files:
        in_cpu = path.startswith(os.path.join("engine", "src", "cpu") + os.sep)
        in_cuda = path.startswith(os.path.join("engine", "src", "cuda") + os.sep)
        for n, line in enumerate(read(repo, path), 1):
            code = strip_comment(line)
            if not in_cpu and ONEDNN.search(code):
                report(path, n, "rule 3", "names oneDNN outside engine/src/cpu")
            if not in_cuda and CUDA.search(code):
                report(path, n, "rule 3", "names CUDA outside engine/src/cuda")


CONCRETE = re.compile(r"\b(Graph|Sequential|RevSequence|AdditiveCoupling|InvertibleDownsample|"
                      r"Conv|Pool|BatchNorm|GroupNorm|Linear|Upsample|CenterCrop|Concat|Add)\b|"
                      r"dynamic_cast|type\(\)\s*==")
TILE_INCLUDE = re.compile(r'#\s*include\s*"tessera/(nn/(layers|containers)|rev/|model/)')


def check_tile(repo, files, report):
    for path in files:
        if os.sep + "tile" + os.sep not in os.sep + path or not path.startswith("engine"):
            continue
        for n, line in enumerate(read(repo, path), 1):
            code = strip_strings(strip_comment(line))
            if TILE_INCLUDE.search(line) or CONCRETE.search(code):
                report(path, n, "rule 4", "tile/ sees a concrete module type: " + line.strip())


# Engine folder -> the includes it may not have: what stands above it.
ABOVE = {
    "tensor": ["ops/", "nn/", "rev/", "model/", "tile/", "train/", "dist/", "io/"],
    "ops": ["nn/", "rev/", "model/", "tile/", "train/", "dist/"],
    "nn": ["rev/", "model/", "tile/", "train/", "dist/"],
    "rev": ["nn/layers", "nn/containers", "model/", "tile/", "train/", "dist/"],
}


def engine_folder(path):
    parts = path.split(os.sep)
    if parts[0] != "engine" or len(parts) < 4:
        return ""
    return parts[2] if parts[1] == "src" else parts[3] if parts[1] == "include" else ""


def check_engine_layers(repo, files, report):
    for path in files:
        above = ABOVE.get(engine_folder(path), [])
        for n, line in enumerate(read(repo, path), 1):
            m = INCLUDE.match(line)
            if m and any(m.group(1).startswith(a) for a in above):
                report(path, n, "layers", "includes tessera/" + m.group(1) + ", which stands above it")


LOOP = re.compile(r"^\s*(for|while)\s*\(")


def check_commands(repo, files, report):
    for path in files:
        if not (path.startswith("apps" + os.sep) and os.path.basename(path).startswith("cmd_")):
            continue
        lines = read(repo, path)
        for n, line in enumerate(lines, 1):
            if not LOOP.match(line):
                continue
            body = line + (lines[n] if n < len(lines) else "")
            if "<<" not in body:
                report(path, n, "rule 5", "a loop in a command that does more than print: " +
                       line.strip())


LIBRARIES = ["engine", "formats", "data"] + DOMAINS


def check_messages(repo, files, report):
    for path in files:
        if path.split(os.sep)[0] not in LIBRARIES:
            continue
        for n, line in enumerate(read(repo, path), 1):
            if "cli-text" in line:  # text that is about the command line (a generated README)
                continue
            for literal in re.findall(r'"(?:[^"\\]|\\.)*"', strip_comment(line)):
                if re.search(r'(^|[\s(`\'"])--[a-z]', literal[1:-1]):
                    report(path, n, "rule 6", "a library message names a flag: " + literal)


def read(repo, path):
    with open(os.path.join(repo, path), encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def strip_comment(line):
    i = line.find("//")
    return line if i < 0 else line[:i]


def strip_strings(line):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def check(repo):
    found = []

    def report(path, n, rule, what):
        found.append(f"{path}:{n}: {rule}: {what}")

    files = sources(repo)
    check_includes(repo, files, data_owner(repo), report)
    check_backends(repo, files, report)
    check_tile(repo, files, report)
    check_commands(repo, files, report)
    check_messages(repo, files, report)
    check_engine_layers(repo, files, report)
    return found


def self_test():
    """One planted violation per rule, each of which must be reported."""
    planted = {
        "ecology/src/x.cpp": '#include "tessera/hydrology/series.hpp"\n',            # rule 2
        "data/ecology/src/y.cpp": '#include "tessera/connectomics/labels.hpp"\n',    # rule 1
        "engine/src/nn/z.cpp": "dnnl::memory m;\n",                                  # rule 3
        "formats/src/w.cpp": "#include <cuda_runtime.h>\n",                          # rule 3
        "engine/src/tile/v.cpp": "if (auto* g = dynamic_cast<Graph*>(&m)) {}\n",     # rule 4
        "apps/cmd_u.cpp": "for (const auto& f : files)\n  process(f);\n",            # rule 5
        "hydrology/src/t.cpp": 'throw std::invalid_argument("use --whole");\n',      # rule 6
        "engine/src/nn/s.cpp": '#include "tessera/rev/reversible.hpp"\n',          # layers
        "apps/cmd_ok.cpp": "for (int i = 0; i < 3; ++i)\n  std::cout << i;\n",       # allowed
        "engine/src/cpu/ok.cpp": "dnnl::memory m;\n",                                # allowed
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in planted.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        found = check(root)
    expected = {("ecology/src/x.cpp", "rule 2"), ("data/ecology/src/y.cpp", "rule 1"),
                ("engine/src/nn/z.cpp", "rule 3"), ("formats/src/w.cpp", "rule 3"),
                ("engine/src/tile/v.cpp", "rule 4"), ("apps/cmd_u.cpp", "rule 5"),
                ("hydrology/src/t.cpp", "rule 6"), ("engine/src/nn/s.cpp", "layers")}
    got = {(line.split(":")[0], line.split(": ")[1]) for line in found}
    missing, extra = expected - got, got - expected
    for path, rule in sorted(missing):
        print(f"self-test: {rule} violation in {path} was not reported")
    for path, rule in sorted(extra):
        print(f"self-test: {path} was reported under {rule} but breaks no rule")
    return 1 if missing or extra else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    found = check(repo)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} breaches of the rules of the house (see ../shared/DESIGN.md)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
