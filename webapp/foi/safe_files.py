"""Files read safely from inside a folder: regular files only, never through a link.

A content file and its attachments are read with :func:`read_inside`: nothing outside
the response's own folder can be reached, and a named pipe, device or socket is refused
before it is opened. What is refused raises :class:`UnsafeFile`, with a message for the
author.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafeFile(Exception):
    """A file the import must not read: a link, a device, outside its folder, too big..."""


def read_inside(folder: Path, relative: str, limit: int, allow_hard_links: bool = False) -> bytes:
    """The bytes of the regular file at ``relative`` (``/``-separated) inside ``folder``.

    Every step is opened relative to the one before without following a symbolic link
    (``O_NOFOLLOW``), so nothing outside ``folder`` can be reached; named pipes, devices
    and sockets are refused before they are opened (opening a pipe would wait forever),
    and the opened file is checked to be the one inspected. Hard links are refused
    unless ``allow_hard_links``: one can be a second name for a file outside the folder.
    Raises :class:`UnsafeFile` with a message for the author.
    """
    parts = relative.split("/")
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, ValueError) as error:
        raise UnsafeFile(f"its folder cannot be opened ({getattr(error, 'strerror', None) or error})") from None
    try:
        for depth, part in enumerate(parts[:-1], start=1):
            here = "/".join(parts[:depth])
            info = _lstat(part, dir_fd, here)
            if stat.S_ISLNK(info.st_mode):
                raise UnsafeFile(f"{here} is a symbolic link: keep attachments in real folders next to the response file")
            if not stat.S_ISDIR(info.st_mode):
                raise UnsafeFile(f"{here} is not a folder")
            next_fd = _open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd, here)
            os.close(dir_fd)
            dir_fd = next_fd
        name = parts[-1]
        info = _lstat(name, dir_fd, relative)
        _check_kind(info, relative, allow_hard_links)
        if info.st_size > limit:
            raise UnsafeFile(f"{relative} is larger than {size_text(limit)}")
        fd = _open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC, dir_fd, relative)
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise UnsafeFile(f"{relative} changed while it was being read: import again")
            _check_kind(opened, relative, allow_hard_links)
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise UnsafeFile(f"{relative} is larger than {size_text(limit)}")
            return b"".join(chunks)
        finally:
            os.close(fd)
    finally:
        os.close(dir_fd)


def size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _lstat(name: str, dir_fd: int, shown_as: str) -> os.stat_result:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise UnsafeFile(f"{shown_as} does not exist") from None
    except (OSError, ValueError) as error:
        raise UnsafeFile(f"{shown_as} cannot be read ({getattr(error, 'strerror', None) or error})") from None


def _open(name: str, flags: int, dir_fd: int, shown_as: str) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK):
            raise UnsafeFile(f"{shown_as} is a symbolic link") from None
        raise UnsafeFile(f"{shown_as} cannot be read ({error.strerror})") from None


def _check_kind(info: os.stat_result, shown_as: str, allow_hard_links: bool) -> None:
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        raise UnsafeFile(f"{shown_as} is a symbolic link: attach the file itself (a link could publish any file on the server)")
    if stat.S_ISDIR(mode):
        raise UnsafeFile(f"{shown_as} is a folder, not a file")
    if stat.S_ISFIFO(mode):
        raise UnsafeFile(f"{shown_as} is a named pipe, not a regular file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise UnsafeFile(f"{shown_as} is a device, not a regular file")
    if not stat.S_ISREG(mode):
        raise UnsafeFile(f"{shown_as} is not a regular file")
    if info.st_nlink > 1 and not allow_hard_links:
        raise UnsafeFile(
            f"{shown_as} has {info.st_nlink} hard links: attach a plain copy of the file "
            "(a hard link can be a second name for a file outside the response's folder)")

