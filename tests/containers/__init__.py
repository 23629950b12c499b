"""The shipped image in real containers (podman): test_image.py checks the image
itself; test_membership.py scales it as pods of the rendered StatefulSet
through issue 9's membership sequences (statefulset.py plays the StatefulSet
controller and the kubelet, hooks included); test_pods.py runs it as the three
pods of the rendered StatefulSet through the scenarios of issue 4;
test_podspec.py and test_statefulset.py unit-test how a pod template becomes
`podman run` arguments and what the controller builds.

Needs root and podman (rootful: the pods share the host's loopback addresses
and their volumes are read from the host), the image (scripts/build-image.sh),
kubectl (scripts/install-kubectl.sh), zookeeper's zkCli.sh and kazoo. Without
root or podman those tests are skipped, saying so; test_podspec.py runs anywhere.
Run alone: sudo scripts/test-containers.sh.
"""
