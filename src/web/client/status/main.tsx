import { render } from 'preact';
import { StatusApp } from './StatusApp.tsx';

const root = document.getElementById('app')!;
root.textContent = ''; // drop the server-rendered "Loading…" placeholder
render(<StatusApp />, root);
