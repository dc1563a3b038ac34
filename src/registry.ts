import { pipelineStep } from './pipeline/pipeline';
import { step as build } from './steps/build';
import { step as matrix } from './steps/matrix';
import { step as publish } from './steps/publish';
import { step as setupCuda } from './steps/setup-cuda';
import { step as setupMsvc } from './steps/setup-msvc';
import { step as verify } from './steps/verify';

/** Every step, in the order a release runs them. */
export const STEPS = [matrix, setupCuda, setupMsvc, build, verify, publish] as const;

/** The root action and `sagewheels run`: the steps of one matrix job. */
export const PIPELINE = pipelineStep([setupCuda, setupMsvc, build, verify, publish]);
