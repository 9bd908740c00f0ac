// Idempotence: the kubelet retries stop and remove calls freely (after restarts, from the garbage collector,
// from eager resource reclaim), so the CRI requires them to succeed when the work is already done.
// Contract text is quoted from the comments of RuntimeService/ImageService in cri-api's runtime/v1 api.proto.
import {
  defineSuite, check, runSandbox, containerPod, runContainer, containerStatus, sandboxStatus, waitContainerState,
  podSandboxConfig, containerConfig, withShell, imageId, randomSuffix, testImage, stopContainer,
  removeContainer, removeImage, stopPodSandbox, removePodSandbox, listPodSandboxes, expectSuccess,
  expectNotFound, cri, kubelet,
} from '../src/framework/index.js';

const STOP_SANDBOX = 'StopPodSandbox is idempotent and must not return an error if all relevant resources have already been reclaimed';
const REMOVE_SANDBOX = 'RemovePodSandbox is idempotent and must not return an error if the sandbox has already been removed';
const STOP_CONTAINER = 'StopContainer is idempotent and must not return an error if the container has already been stopped';
const REMOVE_CONTAINER = 'RemoveContainer is idempotent and must not return an error if the container has already been removed';
const REMOVE_IMAGE = 'RemoveImage is idempotent and must not return an error if the image has already been removed';
// What each check rests on (src/framework/contract.ts).
const STOP_SANDBOX_IDEM = cri('RuntimeService.StopPodSandbox', 'This call is idempotent, and must not return an error if all relevant resources have already been reclaimed. … multiple StopPodSandbox calls are expected.');
const STOP_SANDBOX_RPC = cri('RuntimeService.StopPodSandbox', 'StopPodSandbox stops any running process that is part of the sandbox and reclaims network resources');
const STOPPED_STATE = kubelet('kuberuntime_gc.go evictSandboxes', 'removes only sandboxes that are not SANDBOX_READY; a stopped sandbox must stay so');
const REMOVE_SANDBOX_IDEM = cri('RuntimeService.RemovePodSandbox', 'This call is idempotent, and must not return an error if the sandbox has already been removed.');
const REMOVE_SANDBOX_RPC = cri('RuntimeService.RemovePodSandbox', 'RemovePodSandbox removes the sandbox.');
const STOP_CONTAINER_IDEM = cri('RuntimeService.StopContainer', 'This call is idempotent, and must not return an error if the container has already been stopped.');
const STOP_CONTAINER_RPC = cri('RuntimeService.StopContainer', 'StopContainer stops a running container with a grace period (i.e., timeout).');
const EXITED_KEPT = kubelet('kuberuntime_container.go toKubeContainerStatus', 'an exited container\'s exit_code and finished_at become its terminated state (exitCode, finishedAt) and its restart decisions');
const REMOVE_CONTAINER_IDEM = cri('RuntimeService.RemoveContainer', 'This call is idempotent, and must not return an error if the container has already been removed.');
const REMOVE_CONTAINER_RPC = cri('RuntimeService.RemoveContainer', 'RemoveContainer removes the container.');
const CONTAINER_NOT_FOUND = kubelet('kuberuntime_container.go getPodContainerStatuses', 'skips a container whose ContainerStatus answers NOT_FOUND (removed since it was listed); any other error fails the pod status');
const REMOVE_IMAGE_IDEM = cri('ImageService.RemoveImage', 'This call is idempotent, and must not return an error if the image has already been removed.');
const IMAGE_ABSENT = cri('ImageService.ImageStatus', 'If the image is not present, returns a response with ImageStatusResponse.Image set to nil.');
/** critest's "never existed" ids: a random UUID for pods and containers, 64 zeros for images. */
const unknownId = (): string => crypto.randomUUID();
const ZERO_IMAGE_ID = '0'.repeat(64);

export default defineSuite(({ describe, it }) => {
  describe('Idempotence', () => {
    it('StopPodSandbox should succeed when called again on a stopped sandbox, which stays SANDBOX_NOTREADY [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('idem-stop'));
      await expectSuccess('StopPodSandbox (first call)', () => stopPodSandbox(t, sb.id), 'the sandbox is ready', STOP_SANDBOX_RPC);
      await expectSuccess('StopPodSandbox (second call)', () => stopPodSandbox(t, sb.id), STOP_SANDBOX, STOP_SANDBOX_IDEM);
      check('PodSandboxStatus', 'status.state (after two StopPodSandbox calls)', (await sandboxStatus(t, sb.id)).state, STOPPED_STATE).equals('SANDBOX_NOTREADY');
      await expectSuccess('RemovePodSandbox (after two StopPodSandbox calls)', () => removePodSandbox(t, sb.id), 'the sandbox is stopped', REMOVE_SANDBOX_RPC);
    });

    // A removed or unknown sandbox has nothing left to reclaim. containerd answered NOT_FOUND here until
    // containerd#10520 (backported to 1.6 and 1.7 in 2024), found by critest's Idempotence tests. The kubelet
    // itself ignores NOT_FOUND from StopPodSandbox and StopContainer (kuberuntime killPodWithSyncResult /
    // killContainer), so such a runtime still works with it; the CRI contract and critest ask for success.
    it('StopPodSandbox should succeed on a removed sandbox [Conformance] [Strict]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('idem-stop-removed'));
      await stopPodSandbox(t, sb.id);
      await removePodSandbox(t, sb.id);
      await expectSuccess('StopPodSandbox (removed sandbox)', () => stopPodSandbox(t, sb.id), STOP_SANDBOX, STOP_SANDBOX_IDEM);
    });

    it('StopPodSandbox should succeed for a sandbox id the runtime never had [Conformance] [Strict]', async (t) => {
      const id = unknownId();
      await expectSuccess(`StopPodSandbox (unknown id ${id})`, () => stopPodSandbox(t, id), STOP_SANDBOX, STOP_SANDBOX_IDEM);
    });

    it('RemovePodSandbox should succeed when called again on a removed sandbox [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('idem-remove'));
      await stopPodSandbox(t, sb.id);
      await expectSuccess('RemovePodSandbox (first call)', () => removePodSandbox(t, sb.id), 'the sandbox is stopped', REMOVE_SANDBOX_RPC);
      await expectSuccess('RemovePodSandbox (second call)', () => removePodSandbox(t, sb.id), REMOVE_SANDBOX, REMOVE_SANDBOX_IDEM);
      check('ListPodSandbox', 'items[].id (filter id of the removed sandbox)', (await listPodSandboxes(t, { id: sb.id })).map((i) => i.id), REMOVE_SANDBOX_RPC).absent();
    });

    it('RemovePodSandbox should succeed for a sandbox id the runtime never had [Conformance]', async (t) => {
      const id = unknownId();
      await expectSuccess(`RemovePodSandbox (unknown id ${id})`, () => removePodSandbox(t, id), REMOVE_SANDBOX, REMOVE_SANDBOX_IDEM);
      await expectSuccess(`RemovePodSandbox (unknown id ${id}, again)`, () => removePodSandbox(t, id), REMOVE_SANDBOX, REMOVE_SANDBOX_IDEM);
    });

    it('StopContainer should succeed on a container that already exited, keeping its exit code and finish time [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, containerConfig('exits', await testImage(t), withShell('exit 3')));
      const before = await waitContainerState(t, id, 'CONTAINER_EXITED');
      await expectSuccess('StopContainer (exited container)', () => stopContainer(t, id), STOP_CONTAINER, STOP_CONTAINER_IDEM);
      const after = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StopContainer)', after.state, STOP_CONTAINER_IDEM).equals('CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code (after StopContainer)', after.exit_code, EXITED_KEPT).equals(3, 'stopping an exited container must not change how it exited');
      check('ContainerStatus', 'status.finished_at (after StopContainer)', after.finished_at, EXITED_KEPT).equals(before.finished_at);
    });

    it('StopContainer should succeed when called again on a stopped container [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, containerConfig('sleeper', await testImage(t), withShell('sleep 3600')));
      await expectSuccess('StopContainer (first call)', () => stopContainer(t, id), 'the container is running', STOP_CONTAINER_RPC);
      check('ContainerStatus', 'status.state (after StopContainer)', (await containerStatus(t, id)).state, STOP_CONTAINER_RPC).equals('CONTAINER_EXITED');
      await expectSuccess('StopContainer (second call)', () => stopContainer(t, id), STOP_CONTAINER, STOP_CONTAINER_IDEM);
      check('ContainerStatus', 'status.state (after two StopContainer calls)', (await containerStatus(t, id)).state, STOP_CONTAINER_IDEM).equals('CONTAINER_EXITED');
    });

    it('StopContainer should succeed for a container id the runtime never had [Conformance] [Strict]', async (t) => {
      // The api.proto wording says "already stopped"; critest (Idempotence) and the runtimes read it as
      // "stopping a container that is gone is a no-op" (containerd#10521, cri-o#8431, both 2024).
      const id = unknownId();
      await expectSuccess(`StopContainer (unknown id ${id})`, () => stopContainer(t, id), STOP_CONTAINER, STOP_CONTAINER_IDEM);
    });

    it('RemoveContainer should succeed when called again on a removed container [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, containerConfig('removed', await testImage(t), withShell('sleep 3600')));
      await stopContainer(t, id);
      await expectSuccess('RemoveContainer (first call)', () => removeContainer(t, id), 'the container is stopped', REMOVE_CONTAINER_RPC);
      await expectSuccess('RemoveContainer (second call)', () => removeContainer(t, id), REMOVE_CONTAINER, REMOVE_CONTAINER_IDEM);
      await expectNotFound('ContainerStatus', () => t.cri.runtime.call('ContainerStatus', { container_id: id }), `container ${id} was removed`, CONTAINER_NOT_FOUND);
    });

    it('RemoveContainer should succeed for a container id the runtime never had [Conformance]', async (t) => {
      const id = unknownId();
      await expectSuccess(`RemoveContainer (unknown id ${id})`, () => removeContainer(t, id), REMOVE_CONTAINER, REMOVE_CONTAINER_IDEM);
    });

    it('RemoveImage should succeed for an image reference the runtime does not have [Conformance]', async (t) => {
      // A tag that was never pushed, in the repository of a real test image: no other test can have it.
      const ref = t.image('alt2').replace(/:[^:/@]+$/, `:crc-absent-${randomSuffix(10)}`);
      check('ImageStatus', `image (${ref})`, await imageId(t, ref), IMAGE_ABSENT).equals(undefined, 'the tag was never pushed');
      await expectSuccess(`RemoveImage (${ref}, absent)`, () => removeImage(t, ref), REMOVE_IMAGE, REMOVE_IMAGE_IDEM);
      await expectSuccess(`RemoveImage (${ref}, absent, again)`, () => removeImage(t, ref), REMOVE_IMAGE, REMOVE_IMAGE_IDEM);
    });

    it('RemoveImage should succeed for an image id the runtime does not have [Conformance]', async (t) => {
      check('ImageStatus', `image (${ZERO_IMAGE_ID})`, await imageId(t, ZERO_IMAGE_ID), IMAGE_ABSENT).equals(undefined);
      await expectSuccess(`RemoveImage (id ${ZERO_IMAGE_ID})`, () => removeImage(t, ZERO_IMAGE_ID), REMOVE_IMAGE, REMOVE_IMAGE_IDEM);
      await expectSuccess(`RemoveImage (id ${ZERO_IMAGE_ID}, again)`, () => removeImage(t, ZERO_IMAGE_ID), REMOVE_IMAGE, REMOVE_IMAGE_IDEM);
    });
  });
});
