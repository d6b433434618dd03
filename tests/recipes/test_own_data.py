"""docs/recipes/own-data.md, step by step, on copies of both seeds against the emulator."""
import re

import numpy as np

from recipes.recipe_steps import code_blocks, commands, copy_seeds, project_environment, read_s3_json, registered, run


def fish_csv(path, rows: int = 420) -> None:
    """A made-up data set of the page's shape: weight grows with the measurements and differs by species."""
    rng = np.random.default_rng(7)
    species = rng.choice(["bream", "perch", "pike"], rows)
    length = rng.uniform(10, 50, rows)
    height, width = length * 0.3 + rng.normal(0, 1, rows), length * 0.15 + rng.normal(0, 0.5, rows)
    weight = 0.02 * length * height * width + np.select([species == "pike"], [40.0], 0.0) + rng.normal(0, 5, rows)
    lines = [f"{s},{a:.2f},{b:.2f},{c:.2f},{w:.1f}" for s, a, b, c, w in zip(species, length, height, width, weight)]
    path.write_text("species,length,height,width,weight\n" + "\n".join(lines) + "\n")


def replace_schema(preprocess, block: str) -> None:
    text = preprocess.read_text()
    start, end = text.index("# --- schema:"), text.index("# --- end of schema ---\n") + len("# --- end of schema ---\n")
    preprocess.write_text(text[:start] + block + text[end:])


def test_own_data_recipe_trains_registers_and_deploys_on_a_new_schema(emulator, tmp_path):
    build_repo, deploy_repo = copy_seeds(tmp_path)
    fish_csv(build_repo / "data" / "fish.csv")
    (schema,) = code_blocks("own-data.md", "python")
    replace_schema(build_repo / "pipelines" / "abalone" / "preprocess.py", schema)
    env = project_environment(emulator, "fish")
    run_local, upload, rows = (next(c for c in commands("own-data.md") if key in c)
                               for key in ("run_local", "aws s3 cp", "sample_rows"))
    assert upload.startswith("aws s3 cp data/fish.csv s3://")  # step 3 needs the AWS CLI: its target is checked below

    done = run(run_local, build_repo, env)

    assert done.returncode == 0, done.stderr
    assert re.search(r"test-set MSE: [\d.]+", done.stdout)
    package = registered(env["MODEL_PACKAGE_GROUP_NAME"])
    signature = read_s3_json(package["CustomerMetadataProperties"]["FeatureSignatureS3Uri"])
    assert [f["name"] for f in signature["features"]] == ["species_bream", "species_perch", "species_pike",
                                                           "length", "height", "width"]
    statistics = read_s3_json(package["ModelMetrics"]["ModelDataQuality"]["Statistics"]["S3Uri"])
    assert [f["name"] for f in statistics["features"]][1:] == [f["name"] for f in signature["features"]]

    # Step 4: the deploy repo's abalone rows are refused against the new model, then replaced.
    refused = run("python -m deploy build --output-dir out", deploy_repo, env)
    assert refused.returncode == 2
    assert "sample-data/sample-rows.csv row 1: 10 values, but model package" in refused.stderr
    assert "takes 6 features (species_bream, species_perch, species_pike, length, height, width)" in refused.stderr
    made = run(rows, build_repo, env)
    assert made.returncode == 0, made.stderr
    built = run("python -m deploy build --output-dir out", deploy_repo, env)
    assert built.returncode == 0, built.stderr
    assert "50 rows of 6 features, as its signature says" in built.stdout
