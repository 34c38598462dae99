"""Who is who in distributed training, and the collectives: alone, in a real one-process gloo group,
and in two real processes.

Every server listens on 127.0.0.1 only: the rendezvous store gets a socket bound there (a tcp://
init_method would make it listen on every interface) and gloo is held to the loopback interface.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist

from customer_sentiment.training import distributed


def loopback_interface() -> str:
    return next(name for _, name in socket.if_nameindex() if name.startswith("lo"))


def listening_socket() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


@pytest.fixture
def alone(monkeypatch):
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert not dist.is_initialized()


@pytest.fixture
def one_process_group(monkeypatch, alone):
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", loopback_interface())
    listener = listening_socket()
    port = listener.getsockname()[1]
    store = dist.TCPStore("127.0.0.1", port, 1, True, master_listen_fd=listener.detach())    # the store closes it
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    yield
    if dist.is_initialized():                                      # a test that failed before stop()
        dist.destroy_process_group()


def test_alone_this_process_is_rank_0_of_1(alone):
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)


def test_alone_collectives_give_back_the_values(alone):
    values = torch.tensor([1.5, -2.0])
    assert torch.equal(distributed.sum_across(values), values)
    assert torch.equal(distributed.from_rank_0(values), values)
    gathered = distributed.gather(values)
    assert len(gathered) == 1 and torch.equal(gathered[0], values)


def test_alone_start_joins_nothing_and_stop_does_nothing(alone):
    distributed.start("cpu")
    distributed.stop()
    assert not dist.is_initialized()


def test_is_main_follows_rank_before_the_group_exists(alone, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert not distributed.is_main()
    monkeypatch.setenv("RANK", "0")
    assert distributed.is_main()


@pytest.mark.parametrize(("world_size", "launched"), [(None, False), ("1", False), ("2", True), ("8", True)])
def test_launched_by_torchrun_follows_world_size(monkeypatch, world_size, launched):
    if world_size is None:
        monkeypatch.delenv("WORLD_SIZE", raising=False)
    else:
        monkeypatch.setenv("WORLD_SIZE", world_size)
    assert distributed.launched_by_torchrun() is launched


def test_local_device_is_the_local_rank_gpu_under_torchrun(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert distributed.local_device(torch.device("cuda")) == torch.device("cuda", 1)
    assert distributed.local_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed.local_device(torch.device("cuda", 0)) == torch.device("cuda", 0)


def test_one_process_group_collectives(one_process_group):
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    values = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    counts = torch.tensor([[4, 5]], dtype=torch.int64)

    summed = distributed.sum_across(values)
    assert torch.equal(summed, torch.tensor([1.0, 2.0, 3.0])) and not summed.requires_grad
    assert summed.data_ptr() != values.data_ptr()                  # a copy: the caller's tensor is left alone
    assert torch.equal(distributed.sum_across(counts), counts) and distributed.sum_across(counts).dtype == torch.int64

    broadcast = distributed.from_rank_0(values)
    assert torch.equal(broadcast, values.detach()) and not broadcast.requires_grad
    assert broadcast.data_ptr() != values.data_ptr()

    gathered = distributed.gather(counts)
    assert len(gathered) == 1 and torch.equal(gathered[0], counts) and gathered[0].device.type == "cpu"


def test_stop_leaves_the_group(one_process_group):
    assert dist.is_initialized()
    distributed.stop()
    assert not dist.is_initialized()
    assert (distributed.rank(), distributed.world_size()) == (0, 1)


# One rank. It loads distributed.py by its path: importing customer_sentiment.training would pull in
# all of training and the models, seconds per process.
_RANK = """
import importlib.util, json, sys, torch, torch.distributed as dist
rank, port, listen_fd, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location("distributed", path)
distributed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(distributed)
store = dist.TCPStore("127.0.0.1", port, 2, rank == 0, master_listen_fd=listen_fd if rank == 0 else None)
dist.init_process_group("gloo", store=store, rank=rank, world_size=2)
mine = torch.tensor([1.0, 2.0]) * (rank + 1) + rank             # rank 0: [1, 2], rank 1: [3, 5]
seen = {"rank": distributed.rank(), "world_size": distributed.world_size(), "is_main": distributed.is_main(),
        "sum": distributed.sum_across(mine).tolist(), "from_rank_0": distributed.from_rank_0(mine).tolist(),
        "gather": [part.tolist() for part in distributed.gather(mine)]}
distributed.stop()
print(json.dumps({**seen, "joined_after_stop": dist.is_initialized()}))
"""


def test_two_processes_sum_broadcast_and_gather_in_rank_order():
    listener = listening_socket()
    port, fd = listener.getsockname()[1], listener.fileno()
    env = {key: value for key, value in os.environ.items() if key not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
    env["GLOO_SOCKET_IFNAME"] = loopback_interface()
    ranks = [subprocess.Popen([sys.executable, "-c", _RANK, str(rank), str(port), str(fd), distributed.__file__], env=env,
                              pass_fds=(fd,) if rank == 0 else (), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for rank in (0, 1)]
    listener.close()                                               # rank 0 holds its own copy
    try:
        outputs = [process.communicate(timeout=120) for process in ranks]
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in ranks] == [0, 0], [err for _, err in outputs]
    seen = [json.loads(out) for out, _ in outputs]
    for rank in (0, 1):
        assert seen[rank] == {"rank": rank, "world_size": 2, "is_main": rank == 0, "sum": [4.0, 7.0],
                              "from_rank_0": [1.0, 2.0], "gather": [[1.0, 2.0], [3.0, 5.0]],
                              "joined_after_stop": False}
