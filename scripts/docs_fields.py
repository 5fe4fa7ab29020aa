"""Regenerate the field tables in docs/scenarios.md (between the fields:begin/end markers).

The tables come from the pydantic models and the rule registry (scripts/scenario_fields.py
prints them), so the docs cannot drift from the declarations. Run:
    .venv/bin/python scripts/docs_fields.py
"""

import contextlib
import io
import re
import runpy
from pathlib import Path

here = Path(__file__).resolve().parent
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    runpy.run_path(str(here / "scenario_fields.py"), run_name="__main__")
tables = buffer.getvalue().replace("\n#### ", "\n### ").strip()
doc = here.parent / "docs" / "scenarios.md"
text = doc.read_text(encoding="utf-8")
text = re.sub(r"<!-- fields:begin -->.*<!-- fields:end -->", lambda m: f"<!-- fields:begin -->\n{tables}\n<!-- fields:end -->", text, flags=re.S)
doc.write_text(text, encoding="utf-8")
print(f"updated {doc}")
