"""Hand-made reviews shared by the report tests."""

from __future__ import annotations

from argus.core.predict.findings import BugFinding, Factor, Review, RiskLevel, SymbolRisk


def factor(name: str, text: str, contribution: float, value: float | None = None) -> Factor:
    return Factor(name=name, text=text, contribution=contribution, value=value)


def sample_review() -> Review:
    """Several symbols of every level and several bugs, out of order on purpose."""
    symbols = (
        SymbolRisk(
            path="billing/invoice.py",
            name="apply_discount",
            kind="function",
            language="python",
            start_line=88,
            end_line=131,
            probability=0.4421,
            level=RiskLevel.MEDIUM,
            factors=(
                factor("lines_added", "44 lines added", 0.41, 44),
                factor("author_experience", "the author changed this file 12 times", -0.3, 12),
            ),
            lines_added=44,
            lines_deleted=3,
            complexity_before=None,
            complexity_after=9,
        ),
        SymbolRisk(
            path="billing/invoice.py",
            name="Invoice.total",
            kind="method",
            language="python",
            start_line=42,
            end_line=80,
            probability=0.81234,
            level=RiskLevel.HIGH,
            factors=(
                factor("complexity_delta", "complexity rose from 18 to 27", 0.92, 9),
                factor("fix_history", "4 earlier bug fixes touched this method", 0.55, 4),
                factor("developers", "7 people changed this file", 0.21, 7),
                factor("age", "the file is 3 years old", -0.12, 1100),
            ),
            lines_added=31,
            lines_deleted=12,
            complexity_before=18,
            complexity_after=27,
        ),
        SymbolRisk(
            path="web/static/app.ts",
            name="renderCart",
            kind="function",
            language="typescript",
            start_line=10,
            end_line=25,
            probability=0.12,
            level=RiskLevel.LOW,
            factors=(factor("lines_added", "3 lines added", 0.05, 3),),
            lines_added=3,
            lines_deleted=1,
            complexity_before=4,
            complexity_after=4,
        ),
        SymbolRisk(
            path="services/payments/gateway_client_with_a_rather_long_module_name.go",
            name="(*GatewayClient).SubmitPaymentWithRetriesAndIdempotencyKey",
            kind="method",
            language="go",
            start_line=210,
            end_line=268,
            probability=0.6702,
            level=RiskLevel.HIGH,
            factors=(
                factor("lines_deleted", "a null check was removed", 0.7),
                factor("diffusion", "the change spans 3 directories", 0.33, 3),
            ),
            lines_added=20,
            lines_deleted=9,
            complexity_before=11,
            complexity_after=8,
        ),
    )
    bugs = (
        BugFinding(
            rule_id="PY003",
            path="billing/invoice.py",
            line=120,
            message="An exception is caught and silently ignored; failures in apply_discount "
            "will go unnoticed.",
            confidence=0.64,
            language="python",
            title="Swallowed exception",
            snippet="    except:  pass",
        ),
        BugFinding(
            rule_id="PY001",
            path="billing/invoice.py",
            line=42,
            end_line=42,
            column=25,
            end_column=37,
            message="Mutable default argument `items=[]` is shared between calls.",
            confidence=0.91,
            language="python",
            title="Mutable default argument",
            snippet="    def total(self, items=[]):",
        ),
        BugFinding(
            rule_id="GO001",
            path="services/payments/gateway_client_with_a_rather_long_module_name.go",
            line=231,
            message="The error from `resp.Body.Close()` is assigned to `_` and never checked.",
            confidence=0.77,
            language="go",
            title="Error discarded",
            snippet="\t_ = resp.Body.Close()",
        ),
    )
    return Review(
        probability=0.7412,
        level=RiskLevel.HIGH,
        factors=(
            factor("symbols_high", "2 changed functions are high risk", 0.8),
            factor("lines_added", "98 lines added across 3 files", 0.45, 98),
            factor("tests_changed", "no test files changed", 0.3),
            factor("author_experience", "the author knows this code well", -0.4),
        ),
        symbols=symbols,
        bugs=bugs,
        files_changed=3,
        lines_added=98,
        lines_deleted=25,
        model_version="argus-risk-2026.11-jit",
        base="4f1c2e9",
        head="a93b7d0",
        warnings=("web/static/vendor.min.js: skipped, file larger than 1 MB",),
    )


def empty_review() -> Review:
    """A review of no change at all."""
    return Review(
        probability=0.0,
        level=RiskLevel.LOW,
        factors=(),
        symbols=(),
        bugs=(),
        files_changed=0,
        lines_added=0,
        lines_deleted=0,
        model_version="argus-risk-2026.11-jit",
        base="a93b7d0",
        head="a93b7d0",
    )
