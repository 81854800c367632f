"""Fetching a public dataset's files, only ever because the config says `download: true`.

torchvision's helpers do the work (they check each file's MD5); this module
turns their network errors into one line that says what to do by hand, and
removes a half-written file so a later run does not mistake it for data.
"""

from __future__ import annotations

from pathlib import Path

from training.errors import UserError


def download_url(url: str, folder: Path, filename: str, md5: str | None) -> None:
    """torchvision's download_url (imported late: only a download needs torchvision.datasets)."""
    from torchvision.datasets.utils import download_url as fetch

    fetch(url, str(folder), filename, md5)


def extract_archive(archive: Path, folder: Path) -> None:
    """torchvision's extract_archive: unpack archive into folder."""
    from torchvision.datasets.utils import extract_archive as unpack

    unpack(str(archive), str(folder))


def fetch(urls: list[str], folder: Path, filename: str, md5: str | None, source: str,
          by_hand: str) -> Path:
    """Download filename from the first of urls that works; one-line UserError when none does."""
    target = folder / filename
    if target.exists():  # never overwritten: a file that is already there is the user's
        return target
    folder.mkdir(parents=True, exist_ok=True)
    reasons = []
    for url in urls:
        print(f"downloading {url} to {folder}", flush=True)
        try:
            download_url(url, folder, filename, md5)
            return target
        except (OSError, RuntimeError, ValueError) as error:  # URLError is an OSError
            reasons.append(f"{url}: {_reason(error)}")
            target.unlink(missing_ok=True)  # half-written or failed its MD5: ours, not the user's
    raise UserError(
        source, "dataset.download", f"could not download {filename} into {folder} "
        f"({'; '.join(reasons)}); put {by_hand} yourself"
    )


def _reason(error: BaseException) -> str:
    """The innermost message of a network error, on one line."""
    reason = getattr(error, "reason", None) or error
    return " ".join(str(reason).split()) or type(error).__name__
