import { CleanupStack } from './cleanup.js';
import { skip } from './skip.js';
/** Label carried by every sandbox and container this run creates; cleanup never touches anything else. */
export const RUN_LABEL = 'cri-conformance.io/run-id';
/** The world of one test: its run, and the cleanup of what it creates. */
export class TestContext {
    run;
    id;
    stack = new CleanupStack();
    closed = false;
    constructor(run, 
    /** The test id (`<suite>/<describe> <title>`). */
    id) {
        this.run = run;
        this.id = id;
    }
    get cri() {
        return this.run.cri;
    }
    /** Registers removal of something this test just created. A test still running after it ended (its
     * timeout passed) hands the work to the run, which does it before the run exits. */
    defer(what, fn) {
        (this.closed ? this.run.runCleanup : this.stack).push(what, fn);
    }
    /** Runs this test's cleanup (newest first) and closes it to further registrations; returns failures. */
    async close() {
        this.closed = true;
        return this.stack.drain();
    }
    /** Full reference of a logical test image (fixtures/images.json). */
    image(name) {
        const images = this.run.images;
        if (Object.keys(images).length === 0)
            skip('no test images configured: use --lab, --registry-prefix or --images');
        const ref = images[name];
        if (!ref)
            throw new Error(`image "${name}" is not in the images manifest: add it to fixtures/images.json or your --images file`);
        return ref;
    }
}
//# sourceMappingURL=context.js.map