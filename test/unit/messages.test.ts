import { districtIdFromWorkflowId, nightlyWorkflowId, onboardingWorkflowId, oneOffRunWorkflowId } from '../../workflows/messages.js';

describe('workflow ids', () => {
  test('onboarding id round-trips to the district id', () => {
    expect(onboardingWorkflowId('springfield')).toBe('district/springfield');
    expect(districtIdFromWorkflowId(onboardingWorkflowId('springfield'))).toBe('springfield');
  });

  test('child ids are not mistaken for an onboarding id', () => {
    expect(nightlyWorkflowId('demo')).toBe('district/demo/nightly');
    expect(districtIdFromWorkflowId(nightlyWorkflowId('demo'))).toBeNull();
    expect(districtIdFromWorkflowId(oneOffRunWorkflowId('demo', 'review', 'r1'))).toBeNull();
    expect(oneOffRunWorkflowId('demo', 'initial', 'i1')).toBe('district/demo/initial/i1');
    expect(districtIdFromWorkflowId(oneOffRunWorkflowId('demo', 'initial', 'i1'))).toBeNull();
    expect(districtIdFromWorkflowId('other/demo')).toBeNull();
    expect(districtIdFromWorkflowId('district/')).toBeNull();
  });
});
