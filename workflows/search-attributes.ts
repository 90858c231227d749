import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered with the server at start (dev launcher, docker-compose, tests): see scripts/temporal-dev.ts.
export const DISTRICT_ID = defineSearchAttributeKey('DistrictId', SearchAttributeType.KEYWORD);
export const ONBOARDING_PHASE = defineSearchAttributeKey('OnboardingPhase', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [DISTRICT_ID, ONBOARDING_PHASE];
/** For `temporal server start-dev --search-attribute Name=Type` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTES = { DistrictId: 'Keyword', OnboardingPhase: 'Keyword' } as const;
