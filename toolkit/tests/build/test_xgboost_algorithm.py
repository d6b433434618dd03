"""The local XGBoost algorithm trains as the 1.7-1 container does, under that container's xgboost.

Expected behaviour from aws/sagemaker-xgboost-container, tag v1.7-1-1: docker/1.7-1-1/base/Dockerfile.cpu
pins xgboost 1.7.4; algorithm_mode/train.py requires num_round and saves with
bst.save_model(model_dir + "/xgboost-model"), which xgboost 1.7 writes in its binary format ("binf").
"""
import json
import subprocess

import pytest

from seed_build import DATA, SEED
from pipelines.abalone import preprocess
from mlops_guardrails import xgboost_env
from mlops_guardrails.local import container
from mlops_guardrails.local.training import XGBOOST_ALGORITHM
from mlops_guardrails.local.errors import StepFailed

HYPERPARAMETERS = {"objective": "reg:squarederror", "num_round": "50", "max_depth": "5", "eta": "0.2",
                   "gamma": "4", "min_child_weight": "6", "subsample": "0.7", "seed": "42"}


@pytest.fixture(scope="module")
def python17():
    return str(xgboost_env.python_for("1.7-1"))


def training_job(root, hyperparameters, rows=3000, content_type="text/csv"):
    frame = preprocess.to_model_frame(preprocess.read_raw(DATA))
    for channel, part in (("train", frame.iloc[:rows]), ("validation", frame.iloc[rows:])):
        (root / "input/data" / channel).mkdir(parents=True)
        part.to_csv(root / "input/data" / channel / f"{channel}.csv", header=False, index=False)
    (root / "input/config").mkdir(parents=True)
    (root / "input/config/hyperparameters.json").write_text(json.dumps(hyperparameters))
    channels = {name: {"ContentType": content_type} if content_type else {} for name in ("train", "validation")}
    (root / "input/config/inputdataconfig.json").write_text(json.dumps(channels))
    return frame.iloc[rows:]


def train(python17, root):
    return subprocess.run([python17, str(XGBOOST_ALGORITHM), str(root)], cwd=SEED,
                          capture_output=True, text=True, timeout=120)


def test_training_writes_xgboost_1_7_binary_model_that_predicts_abalone(python17, tmp_path):
    held_out = training_job(tmp_path, HYPERPARAMETERS)
    result = train(python17, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "train: xgboost 1.7.4, 50 rounds"
    model = tmp_path / "model" / "xgboost-model"
    assert model.read_bytes()[:4] == b"binf"  # xgboost 1.x's binary model format, as the container writes
    held_out.to_csv(tmp_path / "held_out.csv", header=False, index=False)
    script = ("import sys, numpy as np, xgboost as x; b = x.Booster(); b.load_model(sys.argv[1]); "
              "d = np.loadtxt(sys.argv[2], delimiter=','); print(float(np.mean((b.predict(x.DMatrix(d[:, 1:])) - d[:, 0]) ** 2)))")
    mse = float(subprocess.run([python17, "-c", script, str(model), str(tmp_path / "held_out.csv")],
                               capture_output=True, text=True, check=True).stdout)
    assert 3.5 <= mse <= 6.0


def test_training_without_num_round_fails_naming_the_hyperparameter(python17, tmp_path):
    training_job(tmp_path, {k: v for k, v in HYPERPARAMETERS.items() if k != "num_round"}, rows=200)
    result = train(python17, tmp_path)
    assert result.returncode == 2
    assert "hyperparameter num_round: required by the XGBoost algorithm" in result.stderr
    assert not (tmp_path / "model").exists()


def test_channel_without_content_type_is_read_as_libsvm_like_the_container(python17, tmp_path):
    training_job(tmp_path, HYPERPARAMETERS, rows=200, content_type=None)
    result = train(python17, tmp_path)
    assert result.returncode == 2 and "is not LIBSVM (<label> <index>:<value> ...)" in result.stderr


@pytest.mark.parametrize("image", ["123.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1",
                                   "123.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"])
def test_unsupported_image_version_stops_the_step_naming_the_supported_ones(image):
    with pytest.raises(StepFailed, match=r"sagemaker-xgboost:\d.\d-\d: this image version has no local environment; supported: 1.7-1"):
        container.image_packages(image)


def test_xgboost_image_steps_run_over_the_containers_packages_others_over_this_repos(python17, tmp_path):
    packages = container.image_packages("1.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
    assert container.image_packages("1.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3") is None
    bin_dir = container.step_interpreter(tmp_path / "python-env", packages)
    versions = subprocess.run([str(bin_dir / "python"), "-c", "import xgboost, numpy, pandas; "
                               "print(xgboost.__version__, numpy.__version__, pandas.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert versions == ["1.7.4", "1.24.1", "1.5.3"]


def test_environment_is_reused_while_its_pins_are_unchanged_and_rebuilt_when_they_change(tmp_path, monkeypatch):
    requirements = xgboost_env.requirements_for("1.7-1")
    target = tmp_path / ".venv-xgboost-1.7"
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "python").touch()
    (target / ".built-from").write_text(xgboost_env._stamp(requirements) + "\n")
    monkeypatch.setenv(xgboost_env.ENVS_DIR_VARIABLE, str(tmp_path))
    builds = []
    monkeypatch.setattr(xgboost_env, "_build", lambda *args: builds.append(args))
    assert xgboost_env.python_for("1.7-1") == target / "bin" / "python" and builds == []
    (target / ".built-from").write_text("built from other pins\n")
    xgboost_env.python_for("1.7-1")
    assert [(path, req) for path, req, _ in builds] == [(target, requirements)]


def test_image_version_reads_the_tag_and_refuses_other_images():
    assert xgboost_env.image_version("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1") == "1.7-1"
    with pytest.raises(xgboost_env.XGBoostEnvError, match="not a SageMaker XGBoost image"):
        xgboost_env.image_version("1.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1")
