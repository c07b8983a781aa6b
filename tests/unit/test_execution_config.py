"""Execution switches (threads, bf16, compile...) live in ExecutionConfig, outside the model's identity."""

from __future__ import annotations

import json

import pytest

from singan_core.config import (
    EXECUTION_FIELDS,
    ExecutionConfig,
    config_from_dict,
    config_to_dict,
    get_preset,
    with_overrides,
)
from singan_core.errors import ConfigError
from singan_core.fingerprint import config_fingerprint, model_id

# The tiny preset's config as stored before ExecutionConfig existed (a model's metadata or a job record):
# the switches inside ``train``. The ids below were computed by the code of that time.
STORED_TINY = json.loads(
    '{"network":{"base_channels":8,"channel_double_every":4,"coarse_noise_channels":1,"kernel_size":3,'
    '"max_channels":8,"num_layers":5},"preset":"tiny","pyramid":{"max_size":32,"min_size":20,'
    '"scale_factor":0.6},"train":{"autocast_bf16":false,"beta1":0.5,"beta2":0.999,"channels_last":false,'
    '"coarse_iterations_factor":1.0,"compile":false,"concurrent_stages":1,"cuda_graphs":false,"d_steps":3,'
    '"early_stop":false,"early_stop_min_fraction":0.25,"early_stop_tol":0.05,"early_stop_window":100,'
    '"g_steps":3,"gp_weight":0.1,"iterations":30,"lr_d":0.0005,"lr_decay_gamma":0.1,'
    '"lr_decay_iteration":24,"lr_g":0.0005,"noise_amp_weight":0.1,"prev_bank_refresh":10,'
    '"prev_bank_size":4,"rec_cache":true,"rec_weight":10.0,"seed":0,"stage_lr_scale":0.1,"threads":1,'
    '"warm_start":true}}'
)
IMAGE_HASH = "0" * 64
IDS_BEFORE = {
    "tiny": "43e41c7ccd5834a28a3ab7d3",
    "paper": "206e81c0ff8db2efc24990bb",
    "fast": "8badd886ff5f3b6b810e00bb",
}


def test_model_ids_of_existing_configs_do_not_change():
    stored = config_from_dict(STORED_TINY)
    assert model_id(IMAGE_HASH, stored) == IDS_BEFORE["tiny"]
    for name, before in IDS_BEFORE.items():
        cfg = get_preset(name)
        if name in ("paper", "fast"):  # issue 22: these presets now redraw z* (a new model, a new id)
            assert model_id(IMAGE_HASH, cfg) != before
            cfg = with_overrides(cfg, {"train.redraw_coarse_rec_noise": False})  # the preset before
        assert model_id(IMAGE_HASH, cfg) == before
        # a config stored before the field existed (no such key) loads with its old training and id
        data = config_to_dict(cfg)
        del data["train"]["redraw_coarse_rec_noise"]
        assert model_id(IMAGE_HASH, config_from_dict(data)) == before


def test_stored_config_with_switches_in_train_loads_them_into_execution():
    cfg = config_from_dict(STORED_TINY)
    assert cfg == get_preset("tiny")
    assert cfg.execution == ExecutionConfig(threads=1)
    assert not any(hasattr(cfg.train, name) for name in EXECUTION_FIELDS)
    again = config_to_dict(cfg)
    assert "threads" not in again["train"] and again["execution"]["threads"] == 1
    assert config_from_dict(again) == cfg
    # where both spellings are present, the execution section's own value wins
    both = {**STORED_TINY, "execution": {"threads": 3}}
    assert config_from_dict(both).execution.threads == 3


def test_every_execution_switch_leaves_the_id_alone_including_rec_cache():
    cfg = get_preset("tiny")
    flipped = {
        "exec.threads": 2,
        "exec.channels_last": True,
        "exec.autocast_bf16": True,
        "exec.compile": True,
        "exec.cuda_graphs": True,
        "exec.rec_cache": False,  # it changed the id before it had its own section
    }
    assert set(k.split(".")[1] for k in flipped) == set(EXECUTION_FIELDS)
    other = with_overrides(cfg, flipped)
    assert other.execution != cfg.execution
    assert config_fingerprint(other) == config_fingerprint(cfg)
    assert model_id(IMAGE_HASH, with_overrides(cfg, {"train.gp_weight": 0.2})) != model_id(IMAGE_HASH, cfg)


def test_old_and_new_override_spellings_are_the_same():
    cfg = get_preset("paper")
    for old, new in [("train.threads", "exec.threads"), ("train.autocast_bf16", "exec.autocast_bf16")]:
        value = 1 if old.endswith("threads") else False
        assert with_overrides(cfg, {old: value}) == with_overrides(cfg, {new: value})
    assert with_overrides(cfg, {"execution.threads": 4}).execution.threads == 4
    with pytest.raises(ConfigError, match="exec.threads"):
        with_overrides(cfg, {"exec.threads": -1})
    with pytest.raises(ConfigError, match="unknown config field"):
        with_overrides(cfg, {"exec.iterations": 3})


def test_presets_keep_their_execution_defaults():
    assert get_preset("paper").execution.autocast_bf16 and get_preset("fast").execution.autocast_bf16
    assert get_preset("tiny").execution == ExecutionConfig(threads=1)
    assert get_preset("paper").execution.rec_cache and get_preset("paper").execution.threads == 0
