"""What a case found, and naming a faulting address from the allocator's log."""

import re
from dataclasses import dataclass, field

# What PyTorch (CUDA or ROCm) says when a kernel touched an unmapped address: with the guarded
# allocator, a guard.
ILLEGAL_ADDRESS = re.compile(
    r"^(?:E\s+)?[\w.]+: .*(an illegal memory access was encountered|cudaErrorIllegalAddress"
    r"|hipErrorIllegalAddress)|^Memory access fault by GPU",
    re.MULTILINE,
)
# compute-sanitizer's report of the first bad access.
_SANITIZER_ACCESS = re.compile(r"Invalid __global__ (read|write) of size (\d+) bytes")
_SANITIZER_KERNEL = re.compile(r"=+\s+at (?:0x[0-9a-f]+ in )?([^\s(+]+)\S*(?: in (\S+:\d+))?")
# "Address 0x... is out of bounds" (older), "Access to 0x... is out of bounds" (CUDA 13)
_SANITIZER_ADDRESS = re.compile(r"(?:Address|Access to) (0x[0-9a-fA-F]+) is out of bounds")


@dataclass
class Finding:
    """The verdict of one case: "pass", "illegal_address" or "error" (anything else)."""

    kind: str
    message: str = ""
    kernel: str = ""  # the faulting kernel, where compute-sanitizer names it
    source: str = ""  # its source line (file:line), idem
    access: str = ""  # "read" or "write", idem
    address: int | None = None  # the faulting address, idem
    where: str = ""  # the address named from the allocator's log
    traceback: str = ""  # the child's last frames
    details: dict = field(default_factory=dict)

    @property
    def found(self):
        return self.kind != "pass"

    def __str__(self):
        if self.kind == "pass":
            return "pass"
        parts = [f"{self.kind}: {self.message}".rstrip(": ")]
        if self.kernel:
            parts.append(f"kernel {self.kernel}" + (f" at {self.source}" if self.source else "")
                         + (f" ({self.access})" if self.access else ""))
        if self.address is not None:
            parts.append(f"address {self.address:#x}" + (f": {self.where}" if self.where else ""))
        return "; ".join(parts)


def read_alloc_log(text):
    """The allocations live at the end of a log, and the names given to tensors.

    Returns a list of dicts: serial, data, size, device, first and end (the reservation,
    guards included), name and element (bytes per element) where a tensor was named.
    """
    live = {}
    names = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "alloc":
            fields = dict(w.split("=", 1) for w in words[2:])
            first, end = fields["guards"].split("-")
            live[int(words[1])] = {
                "serial": int(words[1]),
                "data": int(fields["data"], 16),
                "size": int(fields["size"]),
                "device": int(fields["device"]),
                "first": int(first, 16),
                "end": int(end, 16),
                "name": "",
                "element": 0,
            }
        elif words[0] == "free":
            live.pop(int(words[1]), None)
        elif words[0] == "name":
            names.append((int(words[1], 16), int(words[3]), " ".join(words[4:])))
    for data, element, name in names:
        for a in live.values():
            if a["data"] == data:
                a["name"], a["element"] = name, element
    return list(live.values())


def describe_address(address, allocations):
    """Names an address against the live guarded allocations (read_alloc_log's)."""
    for a in allocations:
        if not a["first"] <= address < a["end"]:
            continue
        label = a["name"] or f"allocation #{a['serial']} ({a['size']} bytes)"
        offset = address - a["data"]
        if 0 <= offset < a["size"]:
            return f"inside {label}, byte offset {offset}"
        widths = [a["element"]] if a["element"] else [1, 2, 4, 8]
        for width in widths:
            wrapped = offset + (1 if offset < 0 else -1) * (1 << 32) * width
            if 0 <= wrapped < a["size"]:
                return (
                    f"in a guard of {label}: element offset {offset // width} "
                    f"({width}-byte elements); consistent with a 32-bit wrap of element "
                    f"{wrapped // width}, which is in bounds"
                )
        return f"in a guard of {label}, byte offset {offset} from its start"
    return ""


def from_child(returncode, output, alloc_log=""):
    """The finding of a child process from its exit status and what it printed."""
    tail = "\n".join(output.strip().splitlines()[-12:])
    if returncode == 0:
        return Finding("pass")
    finding = Finding("error", message=tail.splitlines()[-1] if tail else f"exit {returncode}")
    finding.traceback = tail
    if ILLEGAL_ADDRESS.search(output):
        finding.kind = "illegal_address"
        finding.message = "an illegal memory access (a guard, or memory no tensor owns)"
    access = _SANITIZER_ACCESS.search(output)
    if access:
        finding.kind = "illegal_address"
        finding.message = access.group(0)
        finding.access = access.group(1)
        kernel = _SANITIZER_KERNEL.search(output[access.end():])
        if kernel:
            finding.kernel, finding.source = kernel.group(1), kernel.group(2) or ""
    address = _SANITIZER_ADDRESS.search(output)
    if address:
        finding.address = int(address.group(1), 16)
        finding.where = describe_address(finding.address, read_alloc_log(alloc_log))
    return finding
