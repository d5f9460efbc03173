import { render } from 'preact';
import { AdminApp } from './AdminApp.tsx';

const root = document.getElementById('app')!;
root.textContent = ''; // drop the server-rendered "Loading…" placeholder
render(<AdminApp />, root);
