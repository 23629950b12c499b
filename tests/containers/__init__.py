"""The shipped image in real containers (podman): test_image.py checks the image
itself; test_pods.py runs it as the three pods of the rendered StatefulSet
through the scenarios of issue 4; test_podspec.py unit-tests how a pod template
becomes `podman run` arguments.

Needs root and podman (rootful: the pods share the host's loopback addresses
and their volumes are read from the host), the image (scripts/build-image.sh),
kubectl (scripts/install-kubectl.sh), zookeeper's zkCli.sh and kazoo. Without
root or podman those tests are skipped, saying so; test_podspec.py runs anywhere.
Run alone: sudo scripts/test-containers.sh.
"""
