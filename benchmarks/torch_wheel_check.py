"""Which torch wheel does pip pick for environment.yml (as repo2docker and conda install it)?

    .venv/bin/python benchmarks/torch_wheel_check.py [--cpu-wheels DIR]

repo2docker builds from ``environment.yml``; its ``pip:`` section is installed by pip, with the
``--extra-index-url`` line of that section. This asks pip's own finder (no download, no install)
which file it would take for the pinned ``torch==X`` from PyPI plus that extra index, and reads
the chosen and the PyPI wheel's requirements from the wheel files' zip directories (HTTP range
requests). ``--cpu-wheels DIR`` stands in for the CPU index with a folder holding the same
``+cpu`` wheel, where that index cannot be reached. Prints what it found; exit status 1 if the
pick is not a ``+cpu`` build.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
import zlib
from pathlib import Path

from pip._internal.index.collector import LinkCollector
from pip._internal.index.package_finder import PackageFinder
from pip._internal.models.index import PyPI
from pip._internal.models.search_scope import SearchScope
from pip._internal.models.selection_prefs import SelectionPreferences
from pip._internal.network.session import PipSession
from pip._vendor.packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
CUDA = ("nvidia", "cuda", "triton")


def environment_pip_section(text: str) -> tuple[list[str], str]:
    """(extra index URLs, torch pin) from environment.yml's pip section."""
    block = text.split("- pip:", 1)[1]
    extra = re.findall(r"^\s*-\s*--extra-index-url\s+(\S+)", block, re.M)
    pin = re.search(r"^\s*-\s*torch==(\S+)", block, re.M)
    if not pin:
        raise SystemExit("environment.yml pins no torch==X in its pip section")
    return extra, pin.group(1)


def remote_wheel_requirements(session: PipSession, url: str) -> list[str]:
    """Requires-Dist of a remote wheel, read through range requests (central directory, then
    the METADATA member only)."""
    size = int(session.head(url, allow_redirects=True, timeout=60).headers["Content-Length"])

    def part(a: int, b: int) -> bytes:
        return session.get(url, headers={"Range": f"bytes={a}-{b}"}, timeout=120).content

    tail = part(max(0, size - 2**20), size - 1)
    eocd = tail.rfind(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack("<II", tail[eocd + 12:eocd + 20])
    cd, i = part(cd_off, cd_off + cd_size - 1), 0
    while i < len(cd):
        method = struct.unpack("<H", cd[i + 10:i + 12])[0]
        csize, _, nlen, xlen, clen = struct.unpack("<IIHHH", cd[i + 20:i + 34])
        off = struct.unpack("<I", cd[i + 42:i + 46])[0]
        name = cd[i + 46:i + 46 + nlen].decode()
        if name.endswith(".dist-info/METADATA"):
            head = part(off, off + 30 + 2048 + csize)
            n, x = struct.unpack("<HH", head[26:30])
            data = head[30 + n + x:30 + n + x + csize]
            text = (zlib.decompress(data, -15) if method == 8 else data).decode()
            return [ln.split(":", 1)[1].strip() for ln in text.splitlines()
                    if ln.startswith("Requires-Dist:")]
        i += 46 + nlen + xlen + clen
    raise RuntimeError(f"no METADATA in {url}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-wheels", type=Path,
                        help="a folder standing in for the CPU index (holds torch-X+cpu-*.whl)")
    args = parser.parse_args(argv)
    extra, version = environment_pip_section((ROOT / "environment.yml").read_text())
    print(f"environment.yml: torch=={version}, extra index: {extra or 'none'}")
    session = PipSession()
    links = [str(args.cpu_wheels)] if args.cpu_wheels else []
    indexes = [PyPI.simple_url] + ([] if args.cpu_wheels else extra)
    scope = SearchScope.create(find_links=links, index_urls=indexes, no_index=False)
    finder = PackageFinder.create(LinkCollector(session, scope),
                                  SelectionPreferences(allow_yanked=False))
    found = finder.find_best_candidate("torch", SpecifierSet(f"=={version}"))
    for c in found.applicable_candidates:
        print(f"  candidate {c.version}: {c.link.filename}")
    best = found.best_candidate
    print(f"pip picks {best.version}: {best.link.filename}")
    for c in found.applicable_candidates:
        if c.link.is_file:
            continue
        try:
            reqs = remote_wheel_requirements(session, c.link.url.split("#")[0])
        except Exception as err:  # a report, not a test: say what could not be read
            print(f"  {c.link.filename}: requirements not read ({type(err).__name__})")
            continue
        cuda = [r.split(";")[0].strip() for r in reqs if r.lower().startswith(CUDA)]
        print(f"  {c.link.filename} requires {len(cuda)} CUDA packages: {', '.join(cuda)}")
    return 0 if "+cpu" in str(best.version) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
