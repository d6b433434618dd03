"""docs/recipes/features.md, step by step, on copies of both seeds against the emulator."""
import ast
import re

from recipes.recipe_steps import code_blocks, commands, copy_seeds, project_environment, read_s3_json, registered, run


def replace_definition(path, new: str) -> None:
    """Swap the module-level statement that defines what `new` defines (an assignment or a function) for `new`."""
    text = path.read_text()
    (wanted,) = ast.parse(new).body
    name = wanted.name if isinstance(wanted, ast.FunctionDef) else wanted.targets[0].id
    (old,) = [node for node in ast.parse(text).body
              if (node.name if isinstance(node, ast.FunctionDef) else getattr(getattr(node, "targets", [None])[0], "id", None)) == name]
    lines = text.splitlines(keepends=True)
    path.write_text("".join(lines[:old.lineno - 1]) + new + "".join(lines[old.end_lineno:]))


def test_features_recipe_adds_a_derived_feature_end_to_end(emulator, tmp_path):
    build_repo, deploy_repo = copy_seeds(tmp_path)
    preprocess = build_repo / "pipelines" / "abalone" / "preprocess.py"
    for block in code_blocks("features.md", "python"):
        replace_definition(preprocess, block)
    env = project_environment(emulator, "ratio")
    run_local, rows = (next(c for c in commands("features.md") if key in c) for key in ("run_local", "sample_rows"))

    done = run(run_local, build_repo, env)

    assert done.returncode == 0, done.stderr
    package = registered(env["MODEL_PACKAGE_GROUP_NAME"])
    signature = read_s3_json(package["CustomerMetadataProperties"]["FeatureSignatureS3Uri"])
    assert signature["count"] == 11 and signature["features"][-1] == {"name": "shell_ratio", "type": "Fractional"}
    refused = run("python -m deploy build --output-dir out", deploy_repo, env)
    assert refused.returncode == 2
    assert re.search(r"row 1: 10 values, but model package \S+ takes 11 features \(sex_F, .*, shell_weight, "
                     r"shell_ratio\)", refused.stderr)
    assert run(rows, build_repo, env).returncode == 0
    assert (deploy_repo / "sample-data" / "sample-rows.csv").read_text().splitlines()[0].count(",") == 10
    built = run("python -m deploy build --output-dir out", deploy_repo, env)
    assert built.returncode == 0, built.stderr
    assert "50 rows of 11 features, as its signature says" in built.stdout


def test_features_recipe_a_listed_feature_nobody_computes_fails_in_preprocess(emulator, tmp_path):
    build_repo, _ = copy_seeds(tmp_path)
    (features, _) = code_blocks("features.md", "python")
    replace_definition(build_repo / "pipelines" / "abalone" / "preprocess.py", features)  # listed, not computed
    done = run("python -m pipelines.run_local", build_repo, project_environment(emulator, "uncomputed"))
    assert done.returncode == 1
    assert "FEATURES: ['shell_ratio']: not computed by to_model_frame()" in done.stderr
