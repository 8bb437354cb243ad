"""What the two web sites (the public dashboard and the partner inbox) share at the ASGI level."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]


def sending_headers(send: Send, headers: Sequence[tuple[bytes, bytes]]) -> Send:
    """``send``, with ``headers`` set on every response (replacing the app's own of those names)."""
    ours = {name for name, _ in headers}

    async def send_with_headers(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers") or []
                    if (k.lower() if isinstance(k, bytes) else k.lower().encode()) not in ours]
            message = {**message, "headers": kept + list(headers)}
        await send(message)

    return send_with_headers
