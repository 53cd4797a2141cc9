// Hash routing: which view a location hash names, and the hashes that link to
// an operation or a correlation id. Pure functions: no DOM, so node's tests
// import this module as it is; main.js mounts the view.
//
//   #/                      the operations list (#/?status=Running&q=Webhook.&tag=k:v…)
//   #/op/<id>               one operation: details, children, timeline
//   #/stalled               stalled and quiet work

// {view: 'list' | 'detail' | 'stalled', id (detail), params (list, a
// URLSearchParams), nav: the tab to mark (data-nav), title: the document title
// (the detail view sets its own once loaded)}.
export function parseRoute(hash) {
  const [path, search] = (hash || '#/').slice(1).split('?');
  if (path.startsWith('/op/')) {
    return { view: 'detail', id: decodeURIComponent(path.slice(4)), nav: null, title: null };
  }
  if (path === '/stalled') return { view: 'stalled', nav: 'stalled', title: 'Stalled · opsd' };
  return { view: 'list', params: new URLSearchParams(search || ''), nav: 'list', title: 'Operations · opsd' };
}

export const opHref = (id) => '#/op/' + encodeURIComponent(id);

export const correlationHref = (id) => '#/?correlation_id=' + encodeURIComponent(id);
