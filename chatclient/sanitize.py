"""Make server-sent text inert before it reaches the terminal.

Strips escape sequences (CSI, OSC, DCS and any other ESC sequence), C0 and C1
control characters except newline and tab, DEL, and Unicode bidi overrides
that could reorder what is shown. Continuation lines of a multi-line message
are indented by the renderer, so no message can pose as another line.
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]             # CSI ... final byte
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC ... BEL or ST (or unterminated)
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?       # DCS, SOS, PM, APC ... ST
  | \x1b[ -/]*[0-~]?                    # any other ESC sequence, or a lone ESC
  | \x9b[0-?]*[ -/]*[@-~]               # 8-bit CSI
  | [\x9d\x90\x98\x9e\x9f][^\x07\x9c]*[\x07\x9c]?  # 8-bit OSC, DCS, SOS, PM, APC
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI: they can make text read backwards.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def inert(text: object) -> str:
    """`text` as a string that cannot drive the terminal."""
    text = str(text)
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    return _BIDI.sub("", text)
