"""``argus.generateTest``: generate a validated test for a changed function and open it.

Placeholder until core/testgen offers one call for a symbol; replaced below when it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsp_server.server import ArgusLanguageServer


async def run_generate_test(
    server: ArgusLanguageServer, uri: str, symbol: str, line: int
) -> dict[str, Any]:
    """Generate, validate and open a test; CommandError when that cannot be done."""
    from lsp_server.server import CommandError

    raise CommandError("test generation is not available yet in this build of Argus")
