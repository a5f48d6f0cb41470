"""benchmarks/racing.py on its saved pipeline table and the synthetic landscape, with few seeds and trials."""

import importlib.util
import re
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "racing.py"


def test_racing_benchmark_prints_its_trade_off_and_last_line(capsys):
    spec = importlib.util.spec_from_file_location("racing_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while the class is built
    spec.loader.exec_module(module)
    results = module.main(["--seeds", "2", "--trials", "14", "--levels", "0.2"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"adaptive evaluation: clips \d+% of full \| same presets \d+/2 \| hypervolume [\d.]+% of full",
                        last)
    for table in ("pipeline", "synthetic"):
        full = results[table]
        assert set(full) == {0.05, 0.2}
        for r in full.values():
            assert 0 < r["clips"] <= 100  # racing never decodes more than full evaluation
        # a looser level stops at least as many trials as a stricter one on the same draws
        assert full[0.2]["clips"] <= full[0.05]["clips"]
    assert results["synthetic"][0.05]["infeasible"] > 0  # the landscape's noisy corner is stopped at once
