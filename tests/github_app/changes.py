"""Pull-request changes for handler tests: a diff and the head file it adds."""

from __future__ import annotations


def risky_module(functions: int) -> str:
    lines = []
    for index in range(functions):
        lines += [
            f"def collect_{index}(item, bucket):",
            "    bucket == [item]",  # PY016: the comparison is dropped (an assignment meant)
            "    return bucket",
            "",
        ]
    return "\n".join(lines)


def added_file_diff(path: str, text: str) -> str:
    body = text.splitlines()
    hunk = "".join(f"+{line}\n" for line in body)
    return (
        f"diff --git a/{path} b/{path}\n"
        "new file mode 100644\n"
        "index 0000000..1111111\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        f"@@ -0,0 +1,{len(body)} @@\n" + hunk
    )
