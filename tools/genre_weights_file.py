"""Writing a weights file for genre-train --init (export_torchvision_weights.py,
export_panns_weights.py): torch.save into a temporary beside the target, renamed over it, so a
reader never sees half a file; the mode follows the umask like any new file."""
import os
import tempfile


def save_weights_file(payload, path):
    import torch  # here, as in the scripts: --help and usage errors need no torch

    fd, tmp = tempfile.mkstemp(prefix=".export-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is too private for a shared weights file
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
