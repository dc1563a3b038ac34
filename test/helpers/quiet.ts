// Every test file: the @actions/* libraries' ::debug:: lines stay out of a passing run's output
// unless RUNNER_DEBUG=1 or SAGEWHEELS_VERBOSE=1 asks for them, as on a runner.
import { debugWanted, routeActionsDebug } from '../../src/core/debug-lines';

if (!debugWanted(process.env)) routeActionsDebug();
