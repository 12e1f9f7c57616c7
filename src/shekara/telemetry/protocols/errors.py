"""Errors raised by the tracker protocol codecs."""

from __future__ import annotations

from shekara.errors import AppError


class ProtocolError(AppError):
    """Input that does not follow a tracker protocol. Decoders raise nothing else."""

    code = "protocol_error"


class FrameTooLarge(ProtocolError):
    """A frame exceeds the configured size limit."""

    code = "frame_too_large"
