import { temporal } from '@temporalio/proto';
import { heaviest, historyFigures, largestPayload } from '../../bench/history.js';

const payload = (bytes: number) => temporal.api.common.v1.Payload.create({ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new Uint8Array(bytes) });

describe('bench history figures', () => {
  test('counts scheduled activities and events, and finds the largest payload wherever it sits', () => {
    const History = temporal.api.history.v1.History;
    const history = History.decode(
      History.encode({
        events: [
          { workflowExecutionStartedEventAttributes: { input: { payloads: [payload(120)] }, memo: { fields: { districtName: payload(30) } } } },
          { activityTaskScheduledEventAttributes: { activityId: '1', input: { payloads: [payload(90)] } } },
          { activityTaskCompletedEventAttributes: { result: { payloads: [payload(4000)] } } },
          { activityTaskScheduledEventAttributes: { activityId: '2', input: { payloads: [payload(80)] } } },
          { activityTaskFailedEventAttributes: { failure: { message: 'x', encodedAttributes: payload(5000) } } },
          { workflowExecutionCompletedEventAttributes: { result: { payloads: [payload(200)] } } },
        ],
      }).finish(),
    );
    expect(historyFigures(history)).toEqual({ activities: 2, events: 6, maxPayloadBytes: 5000 });
  });

  test('no payloads, no bytes', () => {
    expect(largestPayload({ events: [{}] })).toBe(0);
    expect(historyFigures({ events: [] })).toEqual({ activities: 0, events: 0, maxPayloadBytes: 0 });
  });

  test('heaviest takes each figure from whichever run had most of it', () => {
    expect(heaviest([
      { activities: 5, events: 40, maxPayloadBytes: 900 },
      { activities: 7, events: 35, maxPayloadBytes: 200 },
    ])).toEqual({ activities: 7, events: 40, maxPayloadBytes: 900 });
    expect(heaviest([])).toBeNull();
  });
});
