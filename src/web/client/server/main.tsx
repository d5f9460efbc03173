import { render } from 'preact';
import { ServerPage } from './ServerPage.tsx';

const root = document.getElementById('app')!;
root.textContent = ''; // drop the server-rendered "Loading…" placeholder
render(<ServerPage id={new URLSearchParams(location.search).get('id') ?? ''} />, root);
