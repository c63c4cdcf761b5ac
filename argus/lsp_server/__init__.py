"""The Argus language server: open buffers -> core review -> LSP diagnostics, hovers, lenses."""
