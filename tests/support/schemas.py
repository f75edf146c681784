"""The action schema (``manifest.json``) for schemathesis: its boundary cases of one operation."""

from __future__ import annotations

import schemathesis
from schemathesis import GenerationMode


def boundary_cases(
    schema: schemathesis.BaseSchema, operation: schemathesis.APIOperation
) -> list[schemathesis.Case]:
    """schemathesis' coverage phase for ``operation``, valid and invalid.

    Limits, wrong types, other methods and media types, with the schema's generation settings.
    """
    return list(
        schema.iter_coverage_cases(
            operation,
            generation_modes=list(GenerationMode),
            generation_config=schema.config.generation_for(operation=operation),
        )
    )
