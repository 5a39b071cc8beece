"""tools/check_official.py: agrees on the official bundle, notices a wrong one."""
from __future__ import annotations

import subprocess
import sys

import torch
from helpers import FIXTURES, REPO


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "tools/check_official.py"), *args],
                          capture_output=True, text=True, timeout=300)


def test_official_bundle_agrees_with_key_layout():
    result = run_tool(str(FIXTURES / "official_small.pt"),
                      "--tsv", str(FIXTURES / "official_lr_state_dict.tsv"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "conformance: 5/5 cases agree"
    assert sum(line.startswith("case") for line in lines) == 5


def test_a_bundle_with_a_wrong_expected_output_fails(tmp_path, bundle):
    bad = dict(bundle)
    bad["cases"] = [dict(case) for case in bundle["cases"]]
    for case in bad["cases"]:
        if case["kind"] == "semantic":
            case["out_mask"] = 1 - case["out_mask"]
        if case["kind"] == "unet":
            case["logits"] = case["logits"] + 1e-2
    path = tmp_path / "bad.pt"
    torch.save(bad, path)
    result = run_tool(str(path))
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "conformance: 3/5 cases agree"


def test_not_a_bundle_is_a_one_line_error(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_text("not a checkpoint")
    result = run_tool(str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "junk.pt" in result.stderr


def crm_bundle_from_fixture(corrupt: bool = False) -> dict:
    """A segrefiner-crm-reference/1 bundle from the CRM fixture: its query and train_loss
    cases, its weights, and zeros for the stages those cases never reach."""
    from segrefiner.models.crm import CRM

    part = torch.load(FIXTURES / "crm_head.pt", weights_only=True)
    state_dict = {f"module.{k}": torch.zeros_like(v) for k, v in CRM().state_dict().items()}
    state_dict.update(part["state_dict"])
    cases = [dict(c) for c in part["cases"] if c["kind"] in ("query", "train_loss")]
    if corrupt:
        cases[0]["logits"] = cases[0]["logits"] + 1e-2
    return dict(format="segrefiner-crm-reference/1", hyper=part["hyper"],
                state_dict=state_dict, cases=cases)


def test_crm_bundle_replays_with_the_released_key_layout(tmp_path):
    path = tmp_path / "crm.pt"
    torch.save(crm_bundle_from_fixture(), path)
    result = run_tool(str(path), "--tsv", str(FIXTURES / "crm_state_dict.tsv"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert "layout: 367 keys, matches" in result.stdout
    assert lines[-1] == "conformance: 4/4 cases agree"


def test_crm_bundle_with_a_wrong_output_fails(tmp_path):
    path = tmp_path / "crm_bad.pt"
    torch.save(crm_bundle_from_fixture(corrupt=True), path)
    result = run_tool(str(path))
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "conformance: 3/4 cases agree"
