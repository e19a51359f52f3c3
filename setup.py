"""setup.py — builds the Python package: python/imgsearch plus the two
loadable extensions, made by the Makefile and copied into the package.

    pip install --no-build-isolation .

make runs with B=build (as a plain `make` does, so an existing build is
reused); IMGSEARCH_BUILD=DIR chooses another build folder. The version is
IMGSEARCH_VERSION from ext/imgsearch.h.
"""
import os
import re
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


def header_version():
    with open(os.path.join(HERE, "ext", "imgsearch.h")) as header:
        return re.search(r'#define IMGSEARCH_VERSION\s+"([^"]+)"', header.read()).group(1)


class BuildWithMake(build_py):
    def run(self):
        super().run()
        build = os.environ.get("IMGSEARCH_BUILD", "build")
        targets = [build + "/imgsearch.so", build + "/imgsearch_vec.so"]
        subprocess.check_call(["make", "-C", HERE, "B=" + build] + targets)
        for target in targets:
            # always copied: a copy from another build folder (SANITIZE=1's)
            # may be newer than this one and must not stay
            shutil.copyfile(os.path.join(HERE, target),
                            os.path.join(self.build_lib, "imgsearch", os.path.basename(target)))


class BinaryDistribution(Distribution):
    """A platform wheel: the package holds shared objects."""
    def has_ext_modules(self):
        return True


setup(
    version=header_version(),
    packages=["imgsearch"],
    package_dir={"": "python"},
    cmdclass={"build_py": BuildWithMake},
    # setuptools' own build folder, apart from the Makefile's build/lib
    options={"build": {"build_base": "build/python"}},
    distclass=BinaryDistribution,
)
