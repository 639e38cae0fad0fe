"""bench/torch_peer.py: what the PyTorch peers of the benchmarks share: their thread setting and
the BLAS report. Debian's torch calls whatever libblas the system selects (OpenBLAS, pthreads
build, here) and does not pass its own thread count to it, so a peer left alone runs its GEMMs
on every core whatever torch.set_num_threads says. setup_threads pins OpenBLAS to the
benchmark's thread count; it must run before torch is imported, since OpenBLAS reads
OPENBLAS_NUM_THREADS when it is loaded.
Intra-op threads (torch's OpenMP pool) may be set apart from the BLAS threads: with both pools
at 2 on 2 cores they spin against each other (seen: batch-32 generation at 82 tokens/s with
torch 2 + OpenBLAS 2, 191 with torch 1 + OpenBLAS 2), so the scripts measure the peer both ways
and keep its best."""
import os


def setup_threads(blas_threads):
    """Pins OpenBLAS to blas_threads; call before `import torch`."""
    if "torch" in os.sys.modules:
        raise RuntimeError("torch_peer.setup_threads must run before torch is imported")
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def blas_in_use(torch):
    """The BLAS shared objects torch has loaded, its BLAS_INFO, and OpenBLAS's thread count."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if any(k in p for k in ("blas", "mkl", "blis")):
                libs.add(os.path.realpath(p))
    cfg = torch.__config__.show()
    info = [f.strip() for f in cfg.replace(",", "\n").splitlines() if "BLAS_INFO" in f]
    libs = ", ".join(sorted(lib for lib in libs if "lapack" not in lib)) or "none mapped"
    return (f"BLAS {libs} ({'; '.join(info)}), OPENBLAS_NUM_THREADS="
            f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
            f"torch intra-op threads {torch.get_num_threads()}")
